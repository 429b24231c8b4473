// The floor: unmodified Baileys alone against the simulator (own process), no database, one process,
// in-memory key store, as in shared/docs/baileys-performance.md. Run as a child process:
//   FLOOR_SIM=<controlUrl> FLOOR_MODE=latency|throughput FLOOR_SESSIONS=N FLOOR_SENDS=N FLOOR_WINDOW_MS=N
// Prints one JSON line with the result. A fresh process per mode: Baileys' per-socket
// AsyncLocalStorage makes every later socket slower, so phases must not share a process.
import '../../sim/testing/silence-libsignal.ts';
import makeWASocket, { BufferJSON, type WASocket } from '@whiskeysockets/baileys';
import pino from 'pino';
import { useSimulatorCertificate } from '../../sim/index.ts';
import { memoryAuthState } from '../../sim/testing/index.ts';
import { nsToMs, pool, sleep, summarize } from '../harness.ts';

const env = {
  sim: process.env.FLOOR_SIM!,
  mode: process.env.FLOOR_MODE as 'latency' | 'throughput',
  sessions: Number(process.env.FLOOR_SESSIONS ?? 1),
  sends: Number(process.env.FLOOR_SENDS ?? 1000),
  windowMs: Number(process.env.FLOOR_WINDOW_MS ?? 20_000),
  prefix: Number(process.env.FLOOR_PREFIX ?? 600),
};

async function call<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${env.sim}${path}`, { method: body ? 'POST' : 'GET', headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${text}`);
  return JSON.parse(text, BufferJSON.reviver) as T;
}

const simUrl = process.env.FLOOR_WS!;
useSimulatorCertificate(process.env.FLOOR_ROOT_PUBLIC_KEY!);
const logger = pino({ level: 'silent' });

interface Session { sock: WASocket; contact: string; unacked: number; acked: number; ackWaiters: (() => void)[] }

const me = Array.from({ length: env.sessions }, (_, i) => `+1${env.prefix}${String(i).padStart(7, '0')}`);
const contacts = Array.from({ length: env.sessions }, (_, i) => `+1${env.prefix + 1}${String(i).padStart(7, '0')}`);
type P = { creds: never; preKeys: Record<string, unknown> };
const provisioned = await call<P[]>('/provision', { phones: me, pushName: 'Floor' });
await call('/contacts', { phones: contacts, receipts: 'none' });

const tOpen = Date.now();
const sessions: Session[] = await pool(provisioned, 10, async (p, i) => {
  const auth = memoryAuthState(p.creds, p.preKeys);
  // history off on purpose: the floor is bare Baileys as baileys-performance.md measured it (provisioned creds get no
  // history sync from the simulator either way, so this changes no figure)
  const sock = makeWASocket({ waWebSocketUrl: simUrl, auth: auth.state, logger, shouldSyncHistoryMessage: () => false });
  const s: Session = { sock, contact: `${contacts[i]!.slice(1)}@s.whatsapp.net`, unacked: 0, acked: 0, ackWaiters: [] };
  sock.ws.on('CB:ack,class:message', () => {
    s.acked++;
    s.unacked--;
    s.ackWaiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('open timeout')), 60_000);
    sock.ev.on('connection.update', (u) => {
      if (u.connection === 'open') { clearTimeout(t); resolve(); }
    });
  });
  return s;
});

process.stderr.write(`floor: ${env.sessions} sessions open in ${Date.now() - tOpen} ms\n`);
const waitAck = (s: Session) => new Promise<void>((r) => s.ackWaiters.push(r));
const send = async (s: Session, text: string) => {
  s.unacked++;
  return s.sock.sendMessage(s.contact, { text });
};

let result: unknown;
if (env.mode === 'latency') {
  const s = sessions[0]!;
  for (let i = 0; i < 50; i++) { const a = waitAck(s); await send(s, `warm ${i}`); await a; }
  const sent: { id: string; t0: bigint; resolvedNs: bigint }[] = [];
  for (let i = 0; i < env.sends; i++) {
    const acked = waitAck(s);
    const t0 = process.hrtime.bigint();
    const msg = await send(s, `lat ${i}`);
    sent.push({ id: msg!.key.id!, t0, resolvedNs: process.hrtime.bigint() - t0 });
    await acked;
    await sleep(2);
  }
  await sleep(300);
  const stamps = await call<{ id: string; frameNs: string | null; recordNs: string | null }[]>('/stamps', { ids: sent.map((x) => x.id) });
  const frame: number[] = [];
  const record: number[] = [];
  stamps.forEach((st, i) => {
    if (st.frameNs) frame.push(nsToMs(BigInt(st.frameNs) - sent[i]!.t0));
    if (st.recordNs) record.push(nsToMs(BigInt(st.recordNs) - sent[i]!.t0));
  });
  result = { mode: 'latency', sends: env.sends, toFrame: summarize(frame), toDecrypted: summarize(record), sendMessageResolves: summarize(sent.map((x) => nsToMs(x.resolvedNs))) };
} else {
  for (const s of sessions) for (let i = 0; i < 3; i++) { const a = waitAck(s); await send(s, `warm ${i}`); await a; }
  const before = await call<{ recorded: number; cpuMs: number }>('/stats');
  let stop = false;
  let sentCount = 0;
  const cpu0 = process.cpuUsage();
  const ackedAtStart = sessions.reduce((a, s) => a + s.acked, 0);
  const t0 = Date.now();
  const loops = sessions.map(async (s) => {
    let i = 0;
    while (!stop) {
      while (s.unacked >= 64 && !stop) await waitAck(s);
      if (stop) break;
      await send(s, `tp ${i++}`);
      sentCount++;
      // sendMessage can complete without I/O (warm sessions): yield so acks and timers get their turn
      await new Promise<void>((r) => setImmediate(r));
    }
  });
  await sleep(env.windowMs);
  const acked = sessions.reduce((a, s) => a + s.acked, 0) - ackedAtStart;
  const elapsed = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  sessions.forEach((s) => s.ackWaiters.splice(0).forEach((w) => w()));
  const after = await call<{ recorded: number; cpuMs: number }>('/stats');
  await Promise.race([Promise.all(loops), sleep(5000)]);
  result = {
    mode: 'throughput', sessions: env.sessions, windowMs: elapsed,
    ackedPerSec: (acked / elapsed) * 1000, sentPerSec: (sentCount / elapsed) * 1000,
    simDecryptsPerSec: ((after.recorded - before.recorded) / elapsed) * 1000,
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
    simCpuPct: ((after.cpuMs - before.cpuMs) / elapsed) * 100,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  };
}
process.stdout.write(JSON.stringify(result) + '\n');
for (const s of sessions) s.sock.end(undefined);
process.exit(0);
