// Run as a fresh process by baileys-patches.test.ts: installs the patches, loads Baileys, exercises the
// transaction capability of two key stores, and prints what it saw as JSON.
// --stock: no patches; --late: Baileys is imported first, then the patches are installed (too late to apply).
import { installBaileysPatches, sharedAlsSockets, unappliedBaileysPatches } from './install.ts';

const disabled = process.argv.includes('--stock');
const late = process.argv.includes('--late');
if (late) await import('@whiskeysockets/baileys');
if (!disabled) installBaileysPatches({ sharedAls: true });
const { addTransactionCapability } = await import('@whiskeysockets/baileys');
const logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child() { return logger; }, level: 'silent' };
const memory = () => {
  const data: Record<string, Record<string, unknown>> = {};
  return {
    data,
    get: async (type: string, ids: string[]) => Object.fromEntries(ids.map((id) => [id, data[type]?.[id]]).filter(([, v]) => v !== undefined)),
    set: async (set: Record<string, Record<string, unknown>>) => {
      for (const [type, values] of Object.entries(set)) Object.assign((data[type] ??= {}), values);
    },
  };
};
const a = memory();
const b = memory();
const opts = { maxCommitRetries: 1, delayBetweenTriesMs: 1 };
const ka = addTransactionCapability(a as never, logger as never, opts);
const kb = addTransactionCapability(b as never, logger as never, opts);
const seen: Record<string, unknown> = {};
await ka.transaction(async () => {
  seen.aInTx = ka.isInTransaction();
  seen.bInTxInsideA = kb.isInTransaction();
  await ka.set({ session: { x: new Uint8Array([1]) } } as never);
  seen.aWrittenBeforeCommit = 'x' in (a.data.session ?? {});
  await kb.transaction(async () => {
    seen.bInTxNested = kb.isInTransaction();
    await kb.set({ session: { y: new Uint8Array([2]) } } as never);
  }, 'b');
  seen.bCommittedAfterItsTx = 'y' in (b.data.session ?? {});
}, 'a');
seen.aCommitted = 'x' in (a.data.session ?? {});
seen.aInTxAfter = ka.isInTransaction();
seen.sharing = sharedAlsSockets();
seen.unapplied = unappliedBaileysPatches();
process.stdout.write(JSON.stringify(seen));
