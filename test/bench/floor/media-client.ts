// The media floor: unmodified Baileys alone, in its own process, on the same file the connector handled:
//   FLOOR_MEDIA=download  FLOOR_SOURCE=<JSON { url, directPath, mediaKey(base64) }> FLOOR_CA=<PEM base64>
//     stock downloadContentFromMessage from the simulator's media host, decrypted, into a null sink;
//   FLOOR_MEDIA=send      FLOOR_FILE=<path> FLOOR_SIM=<control URL> FLOOR_WS FLOOR_ROOT_PUBLIC_KEY FLOOR_CA FLOOR_TO
//     a stock Baileys socket (in-memory keys, a device provisioned in the simulator) sends the file as a video:
//     encrypted to a temporary file, uploaded to the simulator's media host, relayed; timed until the contact's
//     phone decrypted it (the same end point as the connector's figure).
//   FLOOR_MEDIA=receive   FLOOR_SIM FLOOR_WS FLOOR_ROOT_PUBLIC_KEY FLOOR_CA FLOOR_SESSIONS FLOOR_PER_SESSION FLOOR_SIZE
//     FLOOR_SESSIONS stock sockets; a contact per socket sends FLOOR_PER_SESSION videos of FLOOR_SIZE bytes (through the
//     simulator's control API, as the connector's figure does); each socket downloads and decrypts every one into a
//     null sink. Prints { ms, messages } (first send -> last download done), after one warm-up video per socket.
// Run with --expose-gc. Prints one JSON line: { ms, bytes, liveGrowthMb (max over GC'd samples of heapUsed +
// arrayBuffers above the start), peakRssGrowthMb (VmHWM after clear_refs, above the start) }.
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent as HttpsAgent } from 'node:https';
import '../../sim/testing/silence-libsignal.ts';
import makeWASocket, { BufferJSON, downloadContentFromMessage } from '@whiskeysockets/baileys';
import pino from 'pino';
import { Agent } from 'undici';
import { useSimulatorCertificate } from '../../sim/index.ts';
import { memoryAuthState } from '../../sim/testing/index.ts';
import { pool } from '../harness.ts';

async function simCall<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${process.env.FLOOR_SIM}${path}`, { method: body ? 'POST' : 'GET', headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${text}`);
  return JSON.parse(text, BufferJSON.reviver) as T;
}

/** An open stock socket of a freshly provisioned device (before the measurement starts). History sync is off on
 * purpose in both floors: bare Baileys as baileys-performance.md measured it (provisioned creds get none anyway). */
async function openSocket() {
  useSimulatorCertificate(process.env.FLOOR_ROOT_PUBLIC_KEY!);
  const [p] = await simCall<{ creds: never; preKeys: Record<string, unknown> }[]>('/provision', { phones: ['+17420000000'], pushName: 'Floor' });
  const auth = memoryAuthState(p!.creds, p!.preKeys as never);
  const ca = Buffer.from(process.env.FLOOR_CA!, 'base64').toString('utf8');
  const sock = makeWASocket({ waWebSocketUrl: process.env.FLOOR_WS!, auth: auth.state, logger: pino({ level: 'silent' }),
    shouldSyncHistoryMessage: () => false, fetchAgent: new HttpsAgent({ ca, keepAlive: true }) });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('open timeout')), 60_000);
    sock.ev.on('connection.update', (u) => { if (u.connection === 'open') { clearTimeout(t); resolve(); } });
  });
  return sock;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const live = () => {
  for (let i = 0; i < 2; i++) gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
};
const statusKb = async (field: 'VmHWM' | 'VmRSS') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(await readFile('/proc/self/status', 'utf8'))?.[1] ?? NaN);

if (process.env.FLOOR_MEDIA === 'receive') {
  process.stdout.write(JSON.stringify(await receiveRate()) + '\n');
  process.exit(0);
}

/** FLOOR_MEDIA=receive: media messages received and downloaded per second by stock sockets. */
async function receiveRate(): Promise<{ ms: number; messages: number }> {
  useSimulatorCertificate(process.env.FLOOR_ROOT_PUBLIC_KEY!);
  const n = Number(process.env.FLOOR_SESSIONS), perSession = Number(process.env.FLOOR_PER_SESSION), size = Number(process.env.FLOOR_SIZE);
  const mine = Array.from({ length: n }, (_, i) => `+1752${String(i).padStart(7, '0')}`);
  const contacts = Array.from({ length: n }, (_, i) => `+1753${String(i).padStart(7, '0')}`);
  const provisioned = await simCall<{ creds: never; preKeys: Record<string, unknown> }[]>('/provision', { phones: mine, pushName: 'Floor' });
  await simCall('/contacts', { phones: contacts, receipts: 'none' });
  const dispatcher = new Agent({ connect: { ca: Buffer.from(process.env.FLOOR_CA!, 'base64').toString('utf8') } });
  let done = 0;
  const waiters: (() => void)[] = [];
  await pool(provisioned, 10, async (p) => {
    const auth = memoryAuthState(p.creds, p.preKeys as never);
    const sock = makeWASocket({ waWebSocketUrl: process.env.FLOOR_WS!, auth: auth.state, logger: pino({ level: 'silent' }), shouldSyncHistoryMessage: () => false });
    sock.ev.on('messages.upsert', ({ messages }) => {
      for (const m of messages) {
        const video = m.message?.videoMessage;
        if (!video || m.key.fromMe) continue;
        void downloadContentFromMessage(video, 'video', { options: { dispatcher } as never })
          .then((stream) => pipeline(stream, new Writable({ write(_c: Buffer, _e, cb) { cb(); } })))
          .then(() => { done++; waiters.splice(0).forEach((w) => w()); });
      }
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('open timeout')), 60_000);
      sock.ev.on('connection.update', (u) => { if (u.connection === 'open') { clearTimeout(t); resolve(); } });
    });
  });
  const until = async (count: number) => { while (done < count) await new Promise<void>((r) => waiters.push(r)); };
  const sendAll = (k: number) => pool(Array.from({ length: n * k }, (_, i) => i), 8,
    (i) => simCall('/send-media', { from: contacts[i % n], to: mine[i % n], size }));
  await sendAll(1);
  await until(n); // warm-up: Signal sessions, media connections
  const t0 = performance.now();
  await sendAll(perSession);
  await until(n + n * perSession);
  return { ms: performance.now() - t0, messages: n * perSession };
}

const sock = process.env.FLOOR_MEDIA === 'send' ? await openSocket() : null;
const start = live();
await writeFile('/proc/self/clear_refs', '5'); // VmHWM := current RSS
const rssStart = await statusKb('VmRSS');
let maxLive = start;
const sampler = setInterval(() => { maxLive = Math.max(maxLive, live()); }, 200);
const t0 = performance.now();
let bytes = 0;
if (process.env.FLOOR_MEDIA === 'download') {
  const source = JSON.parse(process.env.FLOOR_SOURCE!) as { url: string; directPath: string; mediaKey: string };
  const dispatcher = new Agent({ connect: { ca: Buffer.from(process.env.FLOOR_CA!, 'base64').toString('utf8') } });
  const stream = await downloadContentFromMessage({ url: source.url, directPath: source.directPath, mediaKey: Buffer.from(source.mediaKey, 'base64') },
    'video', { options: { dispatcher } as never });
  await pipeline(stream, new Writable({ write(chunk: Buffer, _e, cb) { bytes += chunk.length; cb(); } }));
  await dispatcher.close();
} else {
  const to = process.env.FLOOR_TO!;
  const sent = await sock!.sendMessage(`${to.slice(1)}@s.whatsapp.net`, { video: { stream: createReadStream(process.env.FLOOR_FILE!) }, mimetype: 'video/mp4' });
  for (;;) {
    const got = await simCall<{ size: number } | null>('/received-media', { phone: to, id: sent!.key.id });
    if (got) { bytes = got.size; break; }
    await new Promise((r) => setTimeout(r, 50));
  }
}
const ms = performance.now() - t0;
clearInterval(sampler);
maxLive = Math.max(maxLive, live());
const hwm = await statusKb('VmHWM');
process.stdout.write(JSON.stringify({ ms, bytes, liveGrowthMb: maxLive - start, peakRssGrowthMb: (hwm - rssStart) / 1024 }) + '\n');
process.exit(0);
