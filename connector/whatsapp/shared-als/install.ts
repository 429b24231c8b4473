// Baileys 7.0.0-rc14 creates one AsyncLocalStorage per socket (lib/Utils/auth-utils.js,
// addTransactionCapability) and never disables it. On Node 20 every enabled ALS adds work to every
// Promise and timer in the process, so CPU per message and memory grow with the number of sockets ever
// opened (baileys-performance.md: 615 msg/s with 1 session, 115 with 50; 582 with one shared ALS).
//
// This installs a loader hook (module.register) that rewrites that one line at load time so every
// socket shares ONE AsyncLocalStorage, with an owner check that keeps transactions per socket.
// It must run before Baileys is first imported; PATCH_TARGET is asserted by shared-als.test.ts, which
// fails if the Baileys file changes.
import { AsyncLocalStorage } from 'node:async_hooks';
import { register } from 'node:module';

export const PATCH_FILE = '@whiskeysockets/baileys/lib/Utils/auth-utils.js';
export const PATCH_TARGET = 'const txStorage = new AsyncLocalStorage();';
export const PATCH_REPLACEMENT =
  'const txStorage = globalThis.__whatsappLiteTxStorage ? globalThis.__whatsappLiteTxStorage() : new AsyncLocalStorage();';

const HOOKS = `
const FILE = ${JSON.stringify('/node_modules/' + PATCH_FILE)};
const TARGET = ${JSON.stringify(PATCH_TARGET)};
const REPLACEMENT = ${JSON.stringify(PATCH_REPLACEMENT)};
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.endsWith(FILE) || result.source == null) return result;
  const source = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source);
  if (!source.includes(TARGET)) return result;
  return { ...result, source: source.replace(TARGET, REPLACEMENT) };
}
`;

interface SharedStore {
  owner: object;
  ctx: unknown;
}

let state: 'installed' | 'unsupported' | null = null;
let socketsSharing = 0;

/** Sockets whose transaction storage is the shared one (0 = the patch is not active in this process). */
export function sharedAlsSockets(): number {
  return socketsSharing;
}

export function installSharedAlsPatch(): 'installed' | 'unsupported' {
  if (state) return state;
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
  try {
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
    state = 'installed';
  } catch {
    state = 'unsupported';
  }
  return state;
}
