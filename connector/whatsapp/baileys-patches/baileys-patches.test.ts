import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assertPatchTargets, BAILEYS_VERSION, BaileysDriftError, hooksSource } from './install.ts';
import { LINKING_PATCHES } from './linking-patches.ts';
import { LIVE_MESSAGES_IN_ORDER, MEDIA_REUPLOAD_ON_EXPIRY, RECEIPT_FAILURE_KEEPS_MESSAGE, SESSION_KEY_LOCK, SHARED_ALS } from './patches.ts';

const run = promisify(execFile);
const pkgJson = () => JSON.parse(readFileSync(join(nodeModules, '@whiskeysockets/baileys/package.json'), 'utf8')) as Record<string, unknown>;
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
    for (const patch of [SHARED_ALS, SESSION_KEY_LOCK, RECEIPT_FAILURE_KEEPS_MESSAGE, MEDIA_REUPLOAD_ON_EXPIRY, LIVE_MESSAGES_IN_ORDER, ...LINKING_PATCHES]) {
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

  it('the drift check refuses another Baileys version and a target that is missing or not unique', async () => {
    const all = [SHARED_ALS, SESSION_KEY_LOCK, RECEIPT_FAILURE_KEEPS_MESSAGE, MEDIA_REUPLOAD_ON_EXPIRY, LIVE_MESSAGES_IN_ORDER, ...LINKING_PATCHES];
    expect(() => assertPatchTargets(all)).not.toThrow();
    // a copy of the installed package with only its version changed (what an upgrade to rc15 / 7.0.0 would look like)
    const fake = join(await mkdtemp(join(tmpdir(), 'wl-baileys-')), 'node_modules', '@whiskeysockets', 'baileys');
    await mkdir(fake, { recursive: true });
    await writeFile(join(fake, 'package.json'), JSON.stringify({ ...pkgJson(), version: '7.0.0' }));
    expect(() => assertPatchTargets(all, fake)).toThrow(BaileysDriftError);
    expect(() => assertPatchTargets(all, fake)).toThrow(`Baileys 7.0.0 is installed; the connector's patches are written for exactly ${BAILEYS_VERSION}`);
    await writeFile(join(fake, 'package.json'), JSON.stringify(pkgJson()));
    await mkdir(join(fake, 'lib/Socket'), { recursive: true });
    const recv = await readFile(join(nodeModules, RECEIPT_FAILURE_KEEPS_MESSAGE.file), 'utf8');
    await writeFile(join(fake, 'lib/Socket/messages-recv.js'), recv.replace(RECEIPT_FAILURE_KEEPS_MESSAGE.target, 'changed upstream'));
    expect(() => assertPatchTargets([RECEIPT_FAILURE_KEEPS_MESSAGE], fake)).toThrow(/receipt-failure-keeps-message: its target occurs 0 times/);
    await writeFile(join(fake, 'lib/Socket/messages-recv.js'), recv + RECEIPT_FAILURE_KEEPS_MESSAGE.target);
    expect(() => assertPatchTargets([RECEIPT_FAILURE_KEEPS_MESSAGE], fake)).toThrow(/occurs 2 times/);
  });

  it('the load hook rewrites each named file once and leaves every other file alone', async () => {
    const hooks = await import(`data:text/javascript,${encodeURIComponent(hooksSource([SHARED_ALS, SESSION_KEY_LOCK, RECEIPT_FAILURE_KEEPS_MESSAGE, MEDIA_REUPLOAD_ON_EXPIRY]))}`) as {
      load(url: string, context: unknown, next: (url: string) => Promise<{ source: string }>): Promise<{ source: string }>;
    };
    const loadAs = (file: string, source: string) => hooks.load(`file:///app/node_modules/${file}`, {}, async () => ({ source }));
    const recv = `before; ${RECEIPT_FAILURE_KEEPS_MESSAGE.target} after;`;
    // each patched file ends with a marker naming what was applied (unappliedBaileysPatches reads it)
    const marker = (...names: string[]) => `\n;(globalThis.__whatsappLiteBaileysPatches ??= new Set());${names.map((n) => `globalThis.__whatsappLiteBaileysPatches.add("${n}");`).join('')}`;
    expect((await loadAs(RECEIPT_FAILURE_KEEPS_MESSAGE.file, recv)).source)
      .toBe(`before; ${RECEIPT_FAILURE_KEEPS_MESSAGE.replacement} after;${marker(RECEIPT_FAILURE_KEEPS_MESSAGE.name)}`);
    expect((await loadAs(SHARED_ALS.file, SHARED_ALS.target)).source).toBe(SHARED_ALS.replacement + marker(SHARED_ALS.name));
    expect((await loadAs(SESSION_KEY_LOCK.file, `a; ${SESSION_KEY_LOCK.target} b;`)).source).toBe(`a; ${SESSION_KEY_LOCK.replacement} b;${marker(SESSION_KEY_LOCK.name)}`);
    expect((await loadAs(MEDIA_REUPLOAD_ON_EXPIRY.file, `x(${MEDIA_REUPLOAD_ON_EXPIRY.target})`)).source)
      .toBe(`x(${MEDIA_REUPLOAD_ON_EXPIRY.replacement})${marker(MEDIA_REUPLOAD_ON_EXPIRY.name)}`);
    expect((await loadAs(RECEIPT_FAILURE_KEEPS_MESSAGE.file, 'nothing to patch')).source).toBe(`nothing to patch${marker()}`);
    expect((await loadAs('@whiskeysockets/baileys/lib/Socket/chats.js', recv)).source).toBe(recv);
  });

  it('makes every key store share one ALS while transactions stay per store (fresh process)', async () => {
    const patched = await probe();
    expect(patched).toEqual({
      aInTx: true, bInTxInsideA: false, aWrittenBeforeCommit: false, bInTxNested: true, bCommittedAfterItsTx: true,
      aCommitted: true, aInTxAfter: false, sharing: 2, unapplied: [],
    });
    const stock = await probe('--stock');
    expect({ ...stock, sharing: undefined }).toEqual({ ...patched, sharing: undefined });
    expect(stock.sharing).toBe(0);
    // Baileys imported before the hook was registered (the in-process test trap): every patch is reported unapplied
    const late = await probe('--late');
    expect(late.unapplied).toEqual(expect.arrayContaining(['pre-login-ack', 'companion-reg-refresh', 'passkey-gate', 'shared-als']));
    expect(late.sharing).toBe(0);
  }, 60_000);
});
