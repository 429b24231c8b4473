// Run as a fresh process by test/e2e/baileys-live-message-order.test.ts: Baileys rc14 (patched, or stock with
// `--stock`: the patches must be registered before Baileys loads) over the connector's real Postgres auth state,
// linked to the simulator the test runs. It prints `open` once connected, then, when `count` messages were
// emitted, one JSON line: the ids in the order their <message> nodes reached the socket and in the order
// messages.upsert emitted them.
// One slow lookup, made deterministic: the first message's LID-mapping read (the contact's first message misses
// every cache) reaches Postgres only once another message has been emitted (it was overtaken) or, when none is,
// 5 s after all `count` nodes reached the socket (nothing overtakes it: the others wait behind it). The bound only
// ends the wait; nothing asserts on time. Without the gate stock rc14 came out of order in each of 4 runs here too,
// by however much the round trips' latencies happened to differ.
// argv: <database url> <session id> <lease owner> <lease epoch> <key base64> <sim url> <sim root key> <count>
//       <contact phone digits> [--stock]
import pino from 'pino';
import { installConsoleGuard } from '../../connector/ops/console-guard.ts';
import { installBaileysPatches } from '../../connector/whatsapp/baileys-patches/install.ts';

installConsoleGuard();
const [url, sessionId, owner, epoch, key, simUrl, simRootKey, count, contactDigits] = process.argv.slice(2);
const stock = process.argv.includes('--stock');
if (!stock) installBaileysPatches({ sharedAls: true });
const { default: makeWASocket, Browsers } = await import('@whiskeysockets/baileys');
const { createStore } = await import('../../connector/store/index.ts');
const { Lru, makeEnvelope, usePostgresAuthState } = await import('../../connector/auth-state/index.ts');
const { useSimulatorCertificate } = await import('../sim/certificate.ts');
const { shouldSyncHistoryMessage } = await import('../../connector/whatsapp/history-policy.ts'); // loads Baileys: after the patches

const store = createStore(url!, 4);
const fence = { sessionId: sessionId!, owner: owner!, epoch: Number(epoch) };
const wire: string[] = [];
let release: () => void = () => {};
const released = new Promise<void>((resolve) => (release = resolve));
let gated = false;
const rows = {
  ...store.authRows,
  read: async (...args: Parameters<typeof store.authRows.read>) => {
    if (!gated && args[1] === 'lid-mapping' && args[2].includes(contactDigits!)) {
      gated = true;
      await released;
    }
    return store.authRows.read(...args);
  },
};
const auth = await usePostgresAuthState(fence, { rows, envelope: makeEnvelope({ current: Buffer.from(key!, 'base64') }), cache: new Lru<unknown>(1000) });
useSimulatorCertificate(simRootKey!);
const sock = makeWASocket({
  waWebSocketUrl: simUrl, auth: auth.state, logger: pino({ level: 'silent' }), browser: Browsers.windows('Chrome'),
  shouldSyncHistoryMessage, markOnlineOnConnect: false, // the product's history policy, as the connector sets it
});
sock.ev.on('creds.update', () => void auth.saveCreds());
const upserts: string[] = [];
(sock.ws as unknown as { on(event: string, fn: (node: { attrs: { id: string } }) => void): void }).on('CB:message', (node) => {
  wire.push(node.attrs.id);
  if (wire.length === Number(count)) setTimeout(release, 5_000).unref();
});
sock.ev.on('messages.upsert', ({ messages, type }) => {
  if (type !== 'notify') return;
  for (const m of messages) if (!m.key.fromMe) upserts.push(m.key.id!);
  if (upserts.length > 0) release();
  if (upserts.length === Number(count)) {
    process.stdout.write(`${JSON.stringify({ stock, gated, wire, upserts })}\n`);
    sock.end(undefined);
    void store.close().then(() => process.exit(0));
  }
});
sock.ev.on('connection.update', (u) => {
  if (u.connection === 'open') process.stdout.write('open\n');
});
