// Installs the Baileys source patches (patches.ts, linking-patches.ts) with a module.register load hook. It must
// run before Baileys is first imported: the connector CLI does (connector/index.ts), and so do the in-process test
// harnesses (test/support/patched-baileys.ts). Two checks refuse a Baileys the patches were not written for: before
// registering, the installed Baileys must be exactly BAILEYS_VERSION and every target snippet must occur exactly
// once in its file (a drift refuses to start, it does not silently run stock code); after Baileys is loaded,
// verifyBaileysPatched() proves each patched file was rewritten in this process (it fails when Baileys was loaded
// before the hook, e.g. by a test importing the simulator first).
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { LINKING_PATCHES } from './linking-patches.ts';
import { LIVE_MESSAGES_IN_ORDER, MEDIA_REUPLOAD_ON_EXPIRY, RECEIPT_FAILURE_KEEPS_MESSAGE, SESSION_KEY_LOCK, SHARED_ALS, type BaileysPatch } from './patches.ts';
import { sessionKeys } from './session-keys.ts';

/** The only Baileys the patches were written for (package.json pins it exactly). */
export const BAILEYS_VERSION = '7.0.0-rc14';

/** Set by each patched file when it runs (the hook appends it), so the process can tell patched from stock. */
const MARKER = '__whatsappLiteBaileysPatches';

/** The loader module's source (exported for the test, which runs it on sample files). */
export function hooksSource(patches: BaileysPatch[]): string {
  const list = patches.map((p) => ({ name: p.name, file: `/node_modules/${p.file}`, target: p.target, replacement: p.replacement }));
  return `
const PATCHES = ${JSON.stringify(list)};
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  const mine = PATCHES.filter((p) => url.endsWith(p.file));
  if (mine.length === 0 || result.source == null) return result;
  let source = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source);
  const applied = [];
  for (const p of mine) if (source.includes(p.target)) { source = source.replace(p.target, p.replacement); applied.push(p.name); }
  source += '\\n;(globalThis.${MARKER} ??= new Set());' + applied.map((n) => 'globalThis.${MARKER}.add(' + JSON.stringify(n) + ');').join('');
  return { ...result, source };
}
`;
}

export class BaileysDriftError extends Error {}

const baileysRoot = () => dirname(createRequire(import.meta.url).resolve('@whiskeysockets/baileys/package.json'));

/** Throws BaileysDriftError unless the installed Baileys is BAILEYS_VERSION and each target occurs once. */
export function assertPatchTargets(patches: readonly BaileysPatch[], root = baileysRoot()): void {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== BAILEYS_VERSION) {
    throw new BaileysDriftError(`Baileys ${version} is installed; the connector's patches are written for exactly ${BAILEYS_VERSION}`);
  }
  for (const patch of patches) {
    const file = join(dirname(root), '..', patch.file);
    const count = readFileSync(file, 'utf8').split(patch.target).length - 1;
    if (count !== 1) throw new BaileysDriftError(`Baileys patch ${patch.name}: its target occurs ${count} times in ${patch.file} (expected once)`);
  }
}

interface SharedStore {
  owner: object;
  ctx: unknown;
}

let state: 'installed' | 'unsupported' | null = null;
let installed: BaileysPatch[] = [];
let socketsSharing = 0;

/** Sockets whose transaction storage is the shared one (0 = the shared-ALS patch is not active in this process). */
export function sharedAlsSockets(): number {
  return socketsSharing;
}

function provideSharedAls(): void {
  const shared = new AsyncLocalStorage<SharedStore>();
  (globalThis as Record<string, unknown>).__whatsappLiteTxStorage = () => {
    socketsSharing += 1;
    const owner = {};
    return {
      getStore: () => {
        const store = shared.getStore();
        return store && store.owner === owner ? store.ctx : undefined;
      },
      run: <R>(ctx: unknown, fn: () => R): R => shared.run({ owner, ctx }, fn),
    };
  };
}

/**
 * The session key lock, receipt, media re-upload and linking fixes always; the shared AsyncLocalStorage unless
 * BAILEYS_SHARED_ALS=disabled. Throws BaileysDriftError for a Baileys the patches do not fit.
 */
export function installBaileysPatches(options: { sharedAls: boolean }): 'installed' | 'unsupported' {
  if (state) return state;
  const patches = [SESSION_KEY_LOCK, RECEIPT_FAILURE_KEEPS_MESSAGE, MEDIA_REUPLOAD_ON_EXPIRY, LIVE_MESSAGES_IN_ORDER, ...LINKING_PATCHES];
  if (options.sharedAls) patches.push(SHARED_ALS);
  assertPatchTargets(patches);
  (globalThis as Record<string, unknown>).__whatsappLiteSessionKeys = sessionKeys;
  if (options.sharedAls) provideSharedAls();
  try {
    register(`data:text/javascript,${encodeURIComponent(hooksSource(patches))}`);
    state = 'installed';
    installed = patches;
  } catch {
    state = 'unsupported';
  }
  return state;
}

/** Names of the installed patches that did NOT run in this process (empty = Baileys runs patched). Call after loading Baileys. */
export function unappliedBaileysPatches(): string[] {
  const applied = (globalThis as Record<string, unknown>)[MARKER] as Set<string> | undefined;
  return installed.filter((p) => !applied?.has(p.name)).map((p) => p.name);
}
