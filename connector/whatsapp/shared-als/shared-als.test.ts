import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PATCH_TARGET } from './install.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const baileysRoot = dirname(createRequire(import.meta.url).resolve('@whiskeysockets/baileys/package.json'));

async function probe(...args: string[]) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, 'probe.ts'), ...args], { cwd: join(here, '../../..') });
  return JSON.parse(stdout);
}

describe('Baileys shared-AsyncLocalStorage patch', () => {
  it('still matches the installed Baileys: the exact line it rewrites is there, once (fails when Baileys changes)', async () => {
    const pkg = JSON.parse(await readFile(join(baileysRoot, 'package.json'), 'utf8'));
    expect(pkg.version).toBe('7.0.0-rc14');
    const source = await readFile(join(baileysRoot, 'lib/Utils/auth-utils.js'), 'utf8');
    expect(source.split(PATCH_TARGET)).toHaveLength(2);
    expect(source.match(/new AsyncLocalStorage\(/g)).toHaveLength(1);
    expect(source.match(/txStorage\.(\w+)/g)?.every((m) => m === 'txStorage.getStore' || m === 'txStorage.run')).toBe(true);
  });

  it('makes every key store share one ALS while transactions stay per store (fresh process)', async () => {
    const patched = await probe();
    expect(patched).toEqual({
      aInTx: true, bInTxInsideA: false, aWrittenBeforeCommit: false, bInTxNested: true, bCommittedAfterItsTx: true,
      aCommitted: true, aInTxAfter: false, sharing: 2,
    });
    const stock = await probe('--stock');
    expect({ ...stock, sharing: undefined }).toEqual({ ...patched, sharing: undefined });
    expect(stock.sharing).toBe(0);
  }, 60_000);
});
