// Run as a fresh process by connector/whatsapp/baileys-patches/session-key-lock.test.ts (the Baileys
// patches must be installed before Baileys loads; `--stock` leaves them out). Our device's keys live in
// the real Postgres auth state; a real libsignal peer (test/sim/peer.ts) is the contact. Each case makes
// two transactions read one stored Signal session before either commits, the way the connector does
// after a socket drop (the replaced socket still decrypts while the new one works), and prints what the
// contact's later message decrypted to, as JSON.
// argv: <database url> <session id> <lease owner> <lease epoch> <case> [--stock]
// cases: two-sockets | pn-and-lid | send-and-receive
import pino from 'pino';
import { installConsoleGuard } from '../../connector/ops/console-guard.ts';
import { installBaileysPatches } from '../../connector/whatsapp/baileys-patches/install.ts';

installConsoleGuard();
const [url, sessionId, owner, epoch, which] = process.argv.slice(2);
const stock = process.argv.includes('--stock');
if (!stock) installBaileysPatches({ sharedAls: true });
const { default: makeWASocket, Curve, proto, unpadRandomMax16, writeRandomPadMax16 } = await import('@whiskeysockets/baileys');
const { createStore } = await import('../../connector/store/index.ts');
const { Lru, makeEnvelope, usePostgresAuthState } = await import('../../connector/auth-state/index.ts');
const { SignalPeer } = await import('../sim/peer.ts');

const store = createStore(url!, 4);
const fence = { sessionId: sessionId!, owner: owner!, epoch: Number(epoch) };
// One slow commit (a loaded box): the Nth session write from now on waits 300 ms before it reaches Postgres.
let sessionWrites = 0;
let slowAt = -1;
let slowBegan: () => void = () => {};
const rows = {
  ...store.authRows,
  write: async (...args: Parameters<typeof store.authRows.write>) => {
    if (args[1].some((w) => w.kind === 'session') && ++sessionWrites === slowAt) {
      slowBegan();
      await new Promise((r) => setTimeout(r, 300));
    }
    return store.authRows.write(...args);
  },
};
/** Resolves when that slow write has begun (its transaction is committing). */
const slowNextSessionWrite = (n: number) => {
  slowAt = sessionWrites + n;
  return new Promise<void>((resolve) => (slowBegan = resolve));
};
const auth = await usePostgresAuthState(fence, { rows, envelope: makeEnvelope({ current: null, old: [] }), cache: new Lru<unknown>(1000) });
const { creds } = auth.state;
creds.me = { id: '15550001111:7@s.whatsapp.net', lid: '200000000000001:7@lid', name: 'Rep' };
const preKey = Curve.generateKeyPair();
await auth.state.keys.set({ 'pre-key': { '1': preKey } });

const logger = pino({ level: 'silent' });
// Sockets that never connect (closed port): only their signal repositories and key capability are used.
const socket = () => makeWASocket({ auth: auth.state, logger, waWebSocketUrl: 'ws://127.0.0.1:9/ws', connectTimeoutMs: 1000 });
const sockA = socket();
const sockB = which === 'two-sockets' ? socket() : sockA;

const contactLid = '300000000000002@lid';
const contactPn = '15550002222@s.whatsapp.net';
await sockA.signalRepository.lidMapping.storeLIDPNMappings([{ lid: contactLid, pn: contactPn }]);
const contact = new SignalPeer();
await contact.startSession('rep', 7, {
  registrationId: creds.registrationId,
  identity: Buffer.from(creds.signedIdentityKey.public),
  signedPreKey: { keyId: creds.signedPreKey.keyId, public: Buffer.from(creds.signedPreKey.keyPair.public), signature: Buffer.from(creds.signedPreKey.signature) },
  preKey: { keyId: 1, public: Buffer.from(preKey.public) },
});

const fromContact = (text: string) => contact.encryptMessage('rep', 7, { conversation: text });
const decrypt = async (sock: typeof sockA, jid: string, m: { type: 'pkmsg' | 'msg'; ciphertext: Uint8Array }) => {
  try {
    const plain = await sock.signalRepository.decryptMessage({ jid, type: m.type, ciphertext: m.ciphertext });
    return proto.Message.decode(unpadRandomMax16(plain)).conversation ?? '';
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
};
const encrypt = (sock: typeof sockA, text: string) =>
  sock.signalRepository.encryptMessage({ jid: contactLid, data: Buffer.from(writeRandomPadMax16(proto.Message.encode({ conversation: text }).finish())) });
// What relayMessage does for every send: one transaction under the account's own jid around the encryptions.
const send = (sock: typeof sockA, text: string) => sock.authState.keys.transaction(() => encrypt(sock, text), creds.me!.id);
const contactReads = async (m: { type: 'pkmsg' | 'msg'; ciphertext: Uint8Array }) =>
  (await contact.decryptMessage('rep', 7, m.type, m.ciphertext)).conversation;

const seen: Record<string, unknown> = { sameCapability: sockA.authState.keys === sockB.authState.keys };
seen.m1 = await decrypt(sockA, contactLid, await fromContact('m1'));
seen.r1 = await contactReads(await send(sockA, 'r1'));
// The contact's next messages carry a new ratchet key: decrypting them is a DH ratchet step on our side.
const m2 = await fromContact('m2');
const m3 = await fromContact('m3');
if (which === 'send-and-receive') {
  // A send commits slowly; m2 arrives meanwhile (its decrypt runs under the contact's jid, the send under ours).
  const committing = slowNextSessionWrite(1);
  const sent = send(sockA, 'r2');
  await committing;
  seen.m2 = await decrypt(sockA, contactLid, m2);
  seen.r2 = await contactReads(await sent);
  // Sequentially, m2's message key is used up: a replay must not decrypt again.
  seen.m2Replayed = await decrypt(sockA, contactLid, m2);
  seen.m3 = await decrypt(sockA, contactLid, m3);
} else {
  // Socket A (or the LID address) takes m2 while socket B (or the PN address) takes m3; B's commit is slow.
  const jidB = which === 'pn-and-lid' ? contactPn : contactLid;
  void slowNextSessionWrite(2);
  const a = decrypt(sockA, contactLid, m2);
  const b = decrypt(sockB, jidB, m3);
  seen.m2 = await a;
  // Our reply goes out while B still commits.
  const r2 = send(sockA, 'r2');
  seen.m3 = await b;
  seen.r2 = await contactReads(await r2);
  seen.m4 = await decrypt(sockA, contactLid, await fromContact('m4'));
}
for (const s of new Set([sockA, sockB])) s.end(undefined);
await store.close();
process.stdout.write(JSON.stringify(seen));
process.exit(0);
