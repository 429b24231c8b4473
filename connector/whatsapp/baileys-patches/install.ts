// Installs the Baileys source patches (patches.ts) with a module.register load hook. It must run before
// Baileys is first imported: the connector CLI does (connector/index.ts); in-process tests that loaded
// Baileys first run stock, and the connector logs that for the shared ALS.
import { AsyncLocalStorage } from 'node:async_hooks';
import { register } from 'node:module';
import { MEDIA_REUPLOAD_ON_EXPIRY, RECEIPT_FAILURE_KEEPS_MESSAGE, SESSION_KEY_LOCK, SHARED_ALS, type BaileysPatch } from './patches.ts';
import { sessionKeys } from './session-keys.ts';

/** The loader module's source (exported for the test, which runs it on sample files). */
export function hooksSource(patches: BaileysPatch[]): string {
  const list = patches.map((p) => ({ file: `/node_modules/${p.file}`, target: p.target, replacement: p.replacement }));
  return `
const PATCHES = ${JSON.stringify(list)};
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  const mine = PATCHES.filter((p) => url.endsWith(p.file));
  if (mine.length === 0 || result.source == null) return result;
  let source = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source);
  for (const p of mine) if (source.includes(p.target)) source = source.replace(p.target, p.replacement);
  return { ...result, source };
}
`;
}

interface SharedStore {
  owner: object;
  ctx: unknown;
}

let state: 'installed' | 'unsupported' | null = null;
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

/** The session key lock, receipt and media re-upload fixes always; the shared AsyncLocalStorage unless BAILEYS_SHARED_ALS=disabled. */
export function installBaileysPatches(options: { sharedAls: boolean }): 'installed' | 'unsupported' {
  if (state) return state;
  (globalThis as Record<string, unknown>).__whatsappLiteSessionKeys = sessionKeys;
  const patches = [SESSION_KEY_LOCK, RECEIPT_FAILURE_KEEPS_MESSAGE, MEDIA_REUPLOAD_ON_EXPIRY];
  if (options.sharedAls) {
    provideSharedAls();
    patches.push(SHARED_ALS);
  }
  try {
    register(`data:text/javascript,${encodeURIComponent(hooksSource(patches))}`);
    state = 'installed';
  } catch {
    state = 'unsupported';
  }
  return state;
}
