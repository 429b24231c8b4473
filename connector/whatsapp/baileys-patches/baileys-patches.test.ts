import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hooksSource } from './install.ts';
import { MEDIA_REUPLOAD_ON_EXPIRY, RECEIPT_FAILURE_KEEPS_MESSAGE, SESSION_KEY_LOCK, SHARED_ALS } from './patches.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = dirname(dirname(dirname(createRequire(import.meta.url).resolve('@whiskeysockets/baileys/package.json'))));

async function probe(...args: string[]) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, 'probe.ts'), ...args], { cwd: join(here, '../../..') });
  return JSON.parse(stdout);
}

describe('Baileys source patches', () => {
  it('still match the installed Baileys: each exact snippet is there, once (fails when Baileys changes)', async () => {
    const pkg = JSON.parse(await readFile(join(nodeModules, '@whiskeysockets/baileys/package.json'), 'utf8'));
    expect(pkg.version).toBe('7.0.0-rc14');
    for (const patch of [SHARED_ALS, SESSION_KEY_LOCK, RECEIPT_FAILURE_KEEPS_MESSAGE, MEDIA_REUPLOAD_ON_EXPIRY]) {
      const source = await readFile(join(nodeModules, patch.file), 'utf8');
      expect(source.split(patch.target), patch.name).toHaveLength(2);
    }
    const auth = await readFile(join(nodeModules, SHARED_ALS.file), 'utf8');
    expect(auth.match(/new AsyncLocalStorage\(/g)).toHaveLength(1);
    expect(auth.match(/txStorage\.(\w+)/g)?.every((m) => m === 'txStorage.getStore' || m === 'txStorage.run')).toBe(true);
    // The session key lock replaces the one place a socket builds its capability; nothing else may build one.
    const lib = join(nodeModules, '@whiskeysockets/baileys/lib');
    const { stdout } = await run('grep', ['-rlE', 'addTransactionCapability\\(', lib, '--include=*.js']);
    expect(stdout.trim().split('\n').map((f) => f.slice(lib.length + 1)).sort()).toEqual(['Socket/socket.js']);
  });

  it('the load hook rewrites each named file once and leaves every other file alone', async () => {
    const hooks = await import(`data:text/javascript,${encodeURIComponent(hooksSource([SHARED_ALS, SESSION_KEY_LOCK, RECEIPT_FAILURE_KEEPS_MESSAGE, MEDIA_REUPLOAD_ON_EXPIRY]))}`) as {
      load(url: string, context: unknown, next: (url: string) => Promise<{ source: string }>): Promise<{ source: string }>;
    };
    const loadAs = (file: string, source: string) => hooks.load(`file:///app/node_modules/${file}`, {}, async () => ({ source }));
    const recv = `before; ${RECEIPT_FAILURE_KEEPS_MESSAGE.target} after;`;
    expect((await loadAs(RECEIPT_FAILURE_KEEPS_MESSAGE.file, recv)).source).toBe(`before; ${RECEIPT_FAILURE_KEEPS_MESSAGE.replacement} after;`);
    expect((await loadAs(SHARED_ALS.file, SHARED_ALS.target)).source).toBe(SHARED_ALS.replacement);
    expect((await loadAs(SESSION_KEY_LOCK.file, `a; ${SESSION_KEY_LOCK.target} b;`)).source).toBe(`a; ${SESSION_KEY_LOCK.replacement} b;`);
    expect((await loadAs(MEDIA_REUPLOAD_ON_EXPIRY.file, `x(${MEDIA_REUPLOAD_ON_EXPIRY.target})`)).source).toBe(`x(${MEDIA_REUPLOAD_ON_EXPIRY.replacement})`);
    expect((await loadAs('@whiskeysockets/baileys/lib/Socket/chats.js', recv)).source).toBe(recv);
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
