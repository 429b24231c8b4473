// One transaction capability per session's key store, and one lock for every transaction that can touch
// its Signal sessions (the socket.js patch in patches.ts calls sessionKeys instead of Baileys'
// addTransactionCapability).
//
// Why: a Baileys transaction reads keys into its own cache and writes them back only when it commits.
// Two transactions that read the same Signal session before either commits both ratchet from the old
// state, and the later commit silently discards the earlier one's update (a lost ratchet step: later
// messages of that contact fail with "Bad MAC" and are lost). Stock rc14 lets that happen in three ways:
//  - every socket builds its own capability (socket.js), so after a drop the replaced socket's late
//    decrypts and the new socket's run under different mutexes over the same stored sessions;
//  - the mutex key is the caller's string: a send runs under the account's own jid (relayMessage) while
//    a decrypt of the same contact runs under the contact's jid;
//  - the same session is addressed under a PN and a LID jid (the store resolves both to the LID address).
// So a session's transactions share one mutex whatever their key. Only 'lid-mapping' keeps its own: it
// touches no Signal session, and a LID lookup coalesced with one made inside a transaction commits under
// it (one mutex for both would wait on itself).
import type { SignalKeyStore, SignalKeyStoreWithTransaction, TransactionCapabilityOptions } from '@whiskeysockets/baileys';

type AddTransactionCapability = (
  keys: SignalKeyStore,
  logger: unknown,
  opts: TransactionCapabilityOptions,
) => SignalKeyStoreWithTransaction;

/** The mutex key Baileys' own capability is called with for every transaction of one session. */
export const SESSION_LOCK_KEY = 'whatsapp-lite-session';
const OWN_LOCK_KEYS = new Set(['lid-mapping']);

const capabilities = new WeakMap<SignalKeyStore, SignalKeyStoreWithTransaction>();
let created = 0;

/** How many key stores got their shared capability (0 = the socket.js patch is not active in this process). */
export function sessionKeyStores(): number {
  return created;
}

export function sessionKeys(
  keys: SignalKeyStore,
  logger: unknown,
  opts: TransactionCapabilityOptions,
  addTransactionCapability: AddTransactionCapability,
): SignalKeyStoreWithTransaction {
  const known = capabilities.get(keys);
  if (known) return known;
  const inner = addTransactionCapability(keys, logger, opts);
  const capability: SignalKeyStoreWithTransaction = {
    ...inner,
    transaction: (work, key) => inner.transaction(work, OWN_LOCK_KEYS.has(key) ? key : SESSION_LOCK_KEY),
  };
  capabilities.set(keys, capability);
  created += 1;
  return capability;
}

