// Webhooks to a CRM: a real local HTTP receiver verifies every Standard Webhooks signature with the same
// library the connector signs with. Events come from real changes (a contact's message through the
// simulator, a send and its receipts, a logout) or, for the retry cases, from an inbound row written the
// way the connector writes it; the outbox trigger does the rest.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/index.ts';
import {
  asUser, createLinkedSession, createTestDatabase, createUser, queueText, randomPhone, startSimulator, startTestConnector, waitFor,
  type Simulator, type TestDatabase,
} from './connector-support.ts';

interface Received { id: string; type: string; data: Record<string, unknown>; path: string; at: number; timestamp: string }

/** One receiver for every test; each user gets its own path. `answer` decides the status per request. */
class Receiver {
  readonly got: Received[] = [];
  readonly refused: string[] = [];
  private readonly secrets = new Map<string, string>();
  private readonly answers = new Map<string, (n: number) => number>();
  private readonly counts = new Map<string, number>();
  private server!: Server;
  url = '';

  async start() {
    this.server = createServer((req, res) => void this.handle(req).then((status) => res.writeHead(status).end()));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  route(path: string, secret: string, answer: (n: number) => number = () => 200) {
    this.secrets.set(path, secret);
    this.answers.set(path, answer);
    return `${this.url}${path}`;
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    const secret = this.secrets.get(path);
    const headers = req.headers as Record<string, string>;
    try {
      if (!secret) throw new Error('unknown path');
      new Webhook(secret).verify(body, headers);
    } catch (err) {
      this.refused.push(`${path}: ${(err as Error).message}`);
      return 401;
    }
    const n = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, n);
    const status = this.answers.get(path)!(n);
    if (status === 200) {
      const parsed = JSON.parse(body) as { type: string; timestamp: string; data: Record<string, unknown> };
      this.got.push({ id: headers['webhook-id']!, type: parsed.type, data: parsed.data, path, at: Date.now(), timestamp: parsed.timestamp });
    }
    return status;
  }

  for(path: string) { return this.got.filter((g) => g.path === path); }
  stop() { return new Promise<void>((resolve) => this.server.close(() => resolve())); }
}

let db: TestDatabase;
let sim: Simulator;
let connector: RunningConnector;
const receiver = new Receiver();
beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({ receiptDelayMs: 20 });
  await receiver.start();
  connector = await startTestConnector(db, sim, {
    WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'enabled', WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_RETRY_BASE_MS: '200',
    WEBHOOK_RETRY_MAX_MS: '800', WEBHOOK_MAX_ATTEMPTS: '4', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_CLAIM_TTL_MS: '4000',
  });
});
afterAll(async () => {
  await connector?.stop();
  await receiver.stop();
  await sim?.stop();
  await db?.drop();
});

/** As the user: a signing secret (rotate_webhook_secret hands it out once), then the webhook to the receiver's `path`. */
async function subscribe(userId: string, path: string, answer?: (n: number) => number): Promise<void> {
  await asUser(db.sql, userId, async (tx) => {
    const [row] = await tx`select rotate_webhook_secret() as secret`;
    const url = receiver.route(path, row!.secret as string, answer);
    await tx`select save_messaging_settings(null, true, ${tx.json({ webhook: { url, enabled: true } })})`;
  });
}

/** A user with a finished session (nothing for the connector to resume) and an inbound row written on it. */
async function userWithInbound(text: string) {
  const userId = await createUser(db.sql);
  const [s] = await db.sql`insert into whatsapp_sessions (user_id, status) values (${userId}, 'logged_out') returning id`;
  return {
    userId,
    write: async () => {
      const waId = `WH${Math.random().toString(16).slice(2, 12).toUpperCase()}`;
      await db.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, text, wa_timestamp)
        values (${s!.id}, ${userId}, ${waId}, '15557770001@s.whatsapp.net', 'text', ${text}, now())`;
      const [e] = await db.sql`select id from webhook_events where user_id = ${userId} order by occurred_at desc limit 1`;
      return e!.id as string;
    },
  };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

describe('connector: webhooks', () => {
  it('delivers message.received, message.status and session.status once per id, signed', async () => {
    const s = await createLinkedSession(db, sim);
    const path = `/crm-${s.userId}`;
    await subscribe(s.userId, path);
    await waitFor(async () => connector.sessions().some((c) => c.id === s.sessionId && c.open), 'the session open');

    const contact = sim.contact(await randomPhone());
    const sent = await queueText(db, s, contact.phone, 'hello from the CRM');
    await contact.waitForMessage({ id: sent.waId }, { timeoutMs: 45_000 });
    await contact.sendText(s.jid, 'hello from the contact');
    const statuses = () => receiver.for(path).filter((g) => g.type === 'message.status').map((g) => (g.data.message as { status: string }).status);
    await waitFor(async () => statuses().includes('sent') && statuses().includes('delivered')
      && receiver.for(path).some((g) => g.type === 'message.received'), 'status and received events at the receiver');
    await asUser(db.sql, s.userId, (tx) => tx`select request_session_command(${s.sessionId}, 'logout')`);
    await waitFor(async () => receiver.for(path).some((g) => g.type === 'session.status'
      && (g.data.session as { status: string }).status === 'logged_out'), 'the logout at the receiver');
    await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up

    const got = receiver.for(path);
    expect(receiver.refused).toEqual([]);
    expect(new Set(got.map((g) => g.id)).size).toBe(got.length);
    const received = got.filter((g) => g.type === 'message.received');
    expect(received).toHaveLength(1);
    expect(received[0]!.data).toMatchObject({ session_id: s.sessionId, message: { text: 'hello from the contact', from_me: false }, contact: { phone: contact.phone } });
    expect(statuses().filter((x) => x === 'sent')).toHaveLength(1);
    const sentEvent = got.find((g) => g.type === 'message.status')!;
    expect(sentEvent.data).toMatchObject({ message: { id: sent.id, wa_message_id: sent.waId } });
    // Every event at the receiver is a delivered outbox row with one logged attempt.
    const rows = await db.sql`select e.id, e.status, count(d.id)::int as attempts from webhook_events e
      left join webhook_deliveries d on d.event_id = e.id where e.user_id = ${s.userId} group by e.id, e.status`;
    expect(rows.filter((r) => r.status === 'delivered').map((r) => r.id).sort()).toEqual(got.map((g) => g.id).sort());
    expect(rows.every((r) => r.status !== 'delivered' || r.attempts === 1)).toBe(true);

    const latencies = got.map((g) => g.at - Date.parse(g.timestamp));
    console.log(`webhook latency (event committed → receiver), ${latencies.length} events: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`);
  }, 120_000);

  it('a receiver that answers 500 three times then 200 gets the event, with 4 attempts in the log the user reads', async () => {
    const u = await userWithInbound('retry me');
    const path = `/flaky-${u.userId}`;
    await subscribe(u.userId, path, (n) => (n <= 3 ? 500 : 200));
    const eventId = await u.write();
    await waitFor(async () => receiver.for(path).length === 1, 'the event after its retries');
    const log = await asUser(db.sql, u.userId, (tx) => tx`select attempt, status_code, error, attempted_at from webhook_deliveries where event_id = ${eventId} order by id`);
    expect(log.map((l) => [l.attempt, l.status_code])).toEqual([[1, 500], [2, 500], [3, 500], [4, 200]]);
    expect(log[0]!.error).toBe('HTTP 500');
    const timeline = log.map((l) => (l.attempted_at as Date).getTime() - (log[0]!.attempted_at as Date).getTime());
    console.log(`webhook retry timeline (ms after the first attempt): ${timeline.join(', ')}`);
    // Back-off: every wait is at least half its exponential step (base 200 ms: 100, 200, 400).
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]! - timeline[i - 1]!).toBeGreaterThanOrEqual(100 * 2 ** (i - 1));
    const [event] = await asUser(db.sql, u.userId, (tx) => tx`select status, attempts, last_status_code from webhook_events where id = ${eventId}`);
    expect(event).toEqual({ status: 'delivered', attempts: 4, last_status_code: 200 });
    expect(receiver.for(path)[0]!.id).toBe(eventId);
  }, 60_000);

  it('a receiver down for the whole retry window dead-letters the event; the user redelivers it (same id)', async () => {
    const u = await userWithInbound('dead letter');
    const path = `/down-${u.userId}`;
    let up = false;
    await subscribe(u.userId, path, () => (up ? 200 : 503));
    const eventId = await u.write();
    const dead = await waitFor(async () => (await db.sql`select status, attempts, last_error from webhook_events where id = ${eventId} and status = 'dead'`)[0], 'the dead letter');
    expect(dead).toEqual({ status: 'dead', attempts: 4, last_error: 'HTTP 503' });
    expect(receiver.for(path)).toEqual([]);

    const other = await createUser(db.sql);
    await expect(asUser(db.sql, other, (tx) => tx`select redeliver_webhook_event(${eventId})`)).rejects.toMatchObject({ code: 'WL404' });
    up = true;
    await asUser(db.sql, u.userId, (tx) => tx`select redeliver_webhook_event(${eventId})`);
    await waitFor(async () => receiver.for(path).length === 1, 'the redelivered event');
    expect(receiver.for(path)[0]!.id).toBe(eventId);
    const log = await asUser(db.sql, u.userId, (tx) => tx`select status_code from webhook_deliveries where event_id = ${eventId} order by id`);
    expect(log.map((l) => l.status_code)).toEqual([503, 503, 503, 503, 200]);
  }, 60_000);

  it('refuses a private endpoint at delivery time when the deployment does not allow it', async () => {
    const { sendWebhook } = await import('../../connector/webhooks/index.ts');
    const event = { id: 'evt_00000000000000000000000000000000', type: 'message.received', occurredAt: new Date(), data: {}, secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` };
    const before = receiver.got.length;
    const literal = await sendWebhook(`${receiver.url}/x`, event, { timeoutMs: 2000, allowPrivate: false });
    expect(literal).toMatchObject({ statusCode: null, error: 'the endpoint is a private or loopback address' });
    // A name is checked on the addresses it resolves to, inside the connection itself: this machine's host
    // name passes the save-time check (it is not `localhost`) but resolves to a loopback address.
    const host = hostname();
    expect((await lookup(host)).address).toMatch(/^127\.|^::1$/);
    const port = new URL(receiver.url).port;
    const named = await sendWebhook(`http://${host}:${port}/x`, event, { timeoutMs: 2000, allowPrivate: false });
    expect(named.statusCode).toBeNull();
    expect(named.error).toMatch(/private or loopback/);
    expect(receiver.got.length).toBe(before);
    expect(receiver.refused).toEqual([]);
  });
});
