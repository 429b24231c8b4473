// The simulator in its own process for benches and fault runs (so it never shares a core's event loop
// with the connector or with the Baileys floor client): `node --import tsx test/bench/support/sim-host.ts`.
// Prints one JSON line { url, rootPublicKeyBase64, rootKeyBase64, controlUrl }, then serves a small
// HTTP API (JSON; Buffers in BufferJSON form). On top of test/sim it records, for every message a
// simulated phone decrypts, the CLOCK_MONOTONIC time (process.hrtime, comparable across processes on
// one host) at which the carrying frame arrived and at which the message was decrypted, and counts each
// WhatsApp message id per recipient (duplicates).
import '../../sim/testing/silence-libsignal.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BufferJSON } from '@whiskeysockets/baileys';
import { SimScanError, startSimulator, type FaultKind, type FaultOptions, type LinkEvent } from '../../sim/index.ts';
import { DeviceRegistry, type SimUser } from '../../sim/device-registry.ts';
import { SimConnection } from '../../sim/transport/connection.ts';
import { installHandshakeShortcuts } from '../../../connector/whatsapp/handshake-crypto.ts';
import { createHash } from 'node:crypto';
import { mediaFixtures } from '../../support/media-fixtures.ts';

// The simulator stands in for WhatsApp's servers, whose CPU is not on the connector's machine in
// production. Its three X25519 agreements per login use the same raw-key import as the connector
// (same secrets, ~10x cheaper than libsignal's DER import), so it takes less of the 2 shared cores from
// the process being measured. SIM_STOCK_CURVE=1 keeps stock Baileys crypto (to compare).
if (process.env.SIM_STOCK_CURVE !== '1') installHandshakeShortcuts();

// --- instrumentation (bench only; test/sim stays untouched) -------------------------------------
// The frame that carries a stanza is processed strictly in order per connection (a promise chain).
// We stamp each frame on arrival and queue a link in that chain just before the frame's own link, so
// while a node is being handled `current` holds the arrival time of its frame.
const current = new WeakMap<object, bigint>();
type FrameProto = { onFrame(frame: Buffer): void; chain: Promise<void> };
const proto = SimConnection.prototype as unknown as FrameProto;
const originalOnFrame = proto.onFrame;
proto.onFrame = function (this: FrameProto, frame: Buffer) {
  const t = process.hrtime.bigint();
  this.chain = this.chain.then(() => void current.set(this, t));
  originalOnFrame.call(this, frame);
};

// 440s the simulator hands out (a second login of a device replaces the first): the ping-pong signal
let replacedConflicts = 0;
type EndProto = { endWith(node: { tag: string; content?: unknown }): void };
const endProto = SimConnection.prototype as unknown as EndProto;
const originalEndWith = endProto.endWith;
endProto.endWith = function (this: EndProto, node) {
  if (node.tag === 'stream:error' && JSON.stringify(node.content ?? '').includes('replaced')) replacedConflicts++;
  originalEndWith.call(this, node);
};

interface Stamp { frameNs: bigint | null; recordNs: bigint; count: number; to: string; text: string | undefined }
const stamps = new Map<string, Stamp>();
/** recipient + text -> the distinct message ids it arrived under (a phone shows each id once) */
const idsByText = new Map<string, Set<string>>();
let duplicates = 0;
let received = 0;
const instrumented = new WeakSet<SimUser>();
const deviceByJid = new Map<string, { connection: unknown }>();

type UserFn = (this: DeviceRegistry, phone: string) => SimUser | undefined;
const originalUser = DeviceRegistry.prototype.user as UserFn;
(DeviceRegistry.prototype as unknown as { user: UserFn }).user = function (this: DeviceRegistry, phone: string) {
  const user = originalUser.call(this, phone);
  if (user && !instrumented.has(user)) {
    instrumented.add(user);
    let seen = 0;
    user.waiters.add(() => {
      const now = process.hrtime.bigint();
      while (seen < user.inbox.length) {
        const m = user.inbox[seen++]!;
        received++;
        const textKey = `${m.to}\n${m.text}`;
        const ids = idsByText.get(textKey) ?? new Set<string>();
        ids.add(m.id);
        idsByText.set(textKey, ids);
        const prev = stamps.get(m.id);
        if (prev) {
          prev.count++;
          duplicates++;
          continue;
        }
        let dev = deviceByJid.get(m.fromDevice);
        if (!dev) {
          dev = this.allDevices().find((d) => d.jid === m.fromDevice);
          if (dev) deviceByJid.set(m.fromDevice, dev);
        }
        const conn = dev?.connection as object | undefined;
        stamps.set(m.id, { frameNs: conn ? current.get(conn) ?? null : null, recordNs: now, count: 1, to: m.to, text: m.text });
      }
    });
  }
  return user;
};

// --- server -----------------------------------------------------------------------------------
const sim = await startSimulator({
  rootKey: process.env.WA_SIM_ROOT_KEY || undefined,
  port: Number(process.env.WA_SIM_PORT ?? 0),
  receiptDelayMs: process.env.SIM_RECEIPT_DELAY_MS ? Number(process.env.SIM_RECEIPT_DELAY_MS) : undefined,
});

// Each link event (what the server sent and clients answered while linking) also gets its CLOCK_MONOTONIC time, so
// the orchestrator can time "the server sent passkey_prologue_request / companion_reg_refresh" → "a subscriber saw
// the session row change" across processes. The log is test/sim's own array, appended to in one place (logLink).
type StampedLinkEvent = LinkEvent & { ns?: bigint };
const linkLog = (sim as unknown as { ctx: { linkLog: StampedLinkEvent[] } }).ctx.linkLog;
let linkEventsLogged = 0;
linkLog.push = function (this: StampedLinkEvent[], ...events: StampedLinkEvent[]) {
  const ns = process.hrtime.bigint();
  for (const e of events) e.ns = ns;
  linkEventsLogged += events.length;
  return Array.prototype.push.apply(this, events);
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, (k, v) => (typeof v === 'bigint' ? v.toString() : BufferJSON.replacer(k, v))));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

let dropTimer: NodeJS.Timeout | undefined;
const connections = () => (sim as unknown as { connections: Set<SimConnection> }).connections;

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const body = req.method === 'POST' ? await readBody(req) : {};
  switch (`${req.method} ${url.pathname}`) {
    case 'POST /provision': {
      const phones = body.phones as string[];
      const out = phones.map((phone) =>
        sim.provisionLinkedDevice({ phone, pushName: (body.pushName as string) ?? 'Bench', preKeyCount: body.preKeyCount as number | undefined }));
      return send(res, 200, out);
    }
    case 'POST /contacts': {
      for (const phone of body.phones as string[]) sim.contact(phone, { receipts: body.receipts as never });
      return send(res, 200, {});
    }
    case 'POST /send': {
      // a contact writes to a linked account; returns the WhatsApp message ids
      const items = body.items as { from: string; to: string; text: string }[];
      const ids: string[] = [];
      for (const it of items) ids.push(await sim.contact(it.from).sendText(it.to, it.text));
      return send(res, 200, { ids });
    }
    case 'POST /send-media': {
      // a contact sends an encrypted video of `size` bytes (made here: large files never cross the control API)
      const { from, to, size } = body as { from: string; to: string; size: number };
      const data = mediaFixtures.mp4(size);
      const sent = await sim.contact(from).sendMedia(to, { kind: 'video', data, mimetype: 'video/mp4', seconds: 60 });
      return send(res, 200, { id: sent.id, sha256: createHash('sha256').update(data).digest('hex') });
    }
    case 'POST /received-media': {
      // what a contact's phone decrypted for a message id: size and SHA-256 of the media, or why not
      const { phone, id } = body as { phone: string; id: string };
      const m = sim.contact(phone).received().find((r) => r.id === id)?.media;
      return send(res, 200, m ? { size: m.data?.length ?? 0, sha256: m.data ? createHash('sha256').update(m.data).digest('hex') : null, error: m.error ?? null } : null);
    }
    case 'GET /media': {
      return send(res, 200, { caPem: sim.mediaCaPem, stats: sim.mediaStats() });
    }
    case 'POST /stamps': {
      const ids = body.ids as string[];
      return send(res, 200, ids.map((id) => {
        const s = stamps.get(id);
        const idsForText = s?.text !== undefined ? idsByText.get(`${s.to}\n${s.text}`)?.size ?? 1 : 0;
        return s ? { id, frameNs: s.frameNs, recordNs: s.recordNs, count: s.count, idsForText } : { id, frameNs: null, recordNs: null, count: 0, idsForText: 0 };
      }));
    }
    case 'GET /received': {
      // every message id the simulated phones decrypted, with how often it arrived
      const ids = url.searchParams.get('ids') === '1';
      return send(res, 200, {
        received, distinct: stamps.size, duplicates,
        duplicateIds: [...stamps].filter(([, s]) => s.count > 1).map(([id]) => id).slice(0, 100),
        ...(ids ? { idList: [...stamps.keys()] } : {}),
      });
    }
    case 'POST /reset-stamps':
      stamps.clear();
      idsByText.clear();
      duplicates = 0;
      received = 0;
      return send(res, 200, {});
    case 'POST /scan': {
      // the phone scans a QR: { linked: device } or { refused: SimScanError code } (a refusal is an answer, not a 4xx)
      const { qr, phone, pushName } = body as { qr: string; phone: string; pushName?: string };
      try {
        const d = await sim.scanQr(qr, { phone, pushName });
        return send(res, 200, { linked: d });
      } catch (error) {
        if (error instanceof SimScanError) return send(res, 200, { refused: error.code });
        throw error;
      }
    }
    case 'POST /require-passkey': {
      sim.requirePasskey(String(body.phone), body.required !== false);
      return send(res, 200, {});
    }
    case 'POST /link-events': {
      // events of `kind` logged after the first `after` events (linkEventsLogged counts every one ever logged)
      const { kind, after = 0 } = body as { kind?: LinkEvent['kind']; after?: number };
      const skip = Math.max(0, after - (linkEventsLogged - linkLog.length));
      return send(res, 200, { logged: linkEventsLogged, events: linkLog.slice(skip).filter((e) => !kind || e.kind === kind) });
    }
    case 'GET /devices': {
      const all = sim.devices();
      return send(res, 200, { total: all.length, connected: all.filter((d) => d.connected).length,
        loggedOut: all.filter((d) => d.loggedOut).length, list: url.searchParams.get('list') === '1' ? all : undefined });
    }
    case 'GET /stats': {
      const cpu = process.cpuUsage();
      return send(res, 200, { ...sim.stats(), replacedConflicts, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.memoryUsage().rss / 2 ** 20 });
    }
    case 'POST /fault':
      sim.fault(String(body.target), body.kind as FaultKind, body.opts as FaultOptions | undefined);
      return send(res, 200, {});
    case 'POST /clear-faults':
      sim.clearFaults(String(body.target));
      return send(res, 200, {});
    case 'POST /drop-all': {
      // TCP drop of every live socket (no stream error): what a WhatsApp edge restart looks like
      let n = 0;
      for (const c of [...connections()]) {
        c.terminate();
        n++;
      }
      return send(res, 200, { dropped: n });
    }
    case 'POST /drop-every': {
      // drops every socket every `everyMs` for `forMs` (0 stops)
      if (dropTimer) clearInterval(dropTimer);
      dropTimer = undefined;
      const everyMs = Number(body.everyMs ?? 0);
      const until = Date.now() + Number(body.forMs ?? 0);
      let rounds = 0;
      if (everyMs > 0) {
        dropTimer = setInterval(() => {
          if (Date.now() > until) {
            clearInterval(dropTimer);
            dropTimer = undefined;
            return;
          }
          rounds++;
          for (const c of [...connections()]) c.terminate();
        }, everyMs);
      }
      return send(res, 200, { rounds });
    }
    default:
      return send(res, 404, { error: 'not found' });
  }
}

const server = createServer((req, res) => {
  void route(req, res).catch((err) => send(res, 400, { error: err instanceof Error ? err.message : String(err) }));
});
// clients poll with pauses longer than Node's 5 s default: a reused, server-closed socket fails the fetch
server.keepAliveTimeout = 10 * 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const controlUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
process.stdout.write(JSON.stringify({ url: sim.url, rootPublicKeyBase64: sim.rootPublicKeyBase64, rootKeyBase64: sim.rootKeyBase64, controlUrl, pid: process.pid }) + '\n');

const stop = async () => {
  server.close();
  await sim.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// the parent died without telling us: do not linger
process.on('disconnect', () => void stop());
