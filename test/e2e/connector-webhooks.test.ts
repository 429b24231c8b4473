// Webhooks to a CRM: a real local HTTP receiver verifies every Standard Webhooks signature with the same
// library the connector signs with. Events come from real changes (a contact's message through the
// simulator, a send and its receipts, a logout) or, for the retry cases, from an inbound row written the
// way the connector writes it; the outbox trigger does the rest.
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import {
  useConnectorFixture, asUser, createLinkedSession, createUser, queueText, randomPhone, waitFor,
} from './connector-support.ts';
import { subscribeWebhook, userWithInboundRows, WebhookReceiver, type Answer } from './webhook-receiver.ts';

const receiver = new WebhookReceiver();
afterAll(() => receiver.stop()); // after the connector stopped (hooks registered first run last)
const fx = useConnectorFixture({
  simulator: { receiptDelayMs: 20 },
  before: () => receiver.start(),
  env: {
    WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'enabled', WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_RETRY_BASE_MS: '200',
    WEBHOOK_RETRY_MAX_MS: '800', WEBHOOK_MAX_ATTEMPTS: '4', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_CLAIM_TTL_MS: '4000',
  },
});

const subscribe = (userId: string, path: string, answer?: Answer) => subscribeWebhook(fx.db, receiver, userId, path, answer);
const userWithInbound = (text: string) => userWithInboundRows(fx.db, text);

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

describe('connector: webhooks', () => {
  it('delivers message.received, message.status and session.status once per id, signed', async () => {
    const s = await createLinkedSession(fx.db, fx.sim);
    const path = `/crm-${s.userId}`;
    await subscribe(s.userId, path);
    await waitFor(async () => fx.connector.sessions().some((c) => c.id === s.sessionId && c.open), 'the session open');

    const contact = fx.sim.contact(await randomPhone());
    const sent = await queueText(fx.db, s, contact.phone, 'hello from the CRM');
    await contact.waitForMessage({ id: sent.waId }, { timeoutMs: 45_000 });
    await contact.sendText(s.jid, 'hello from the contact');
    const statuses = () => receiver.for(path).filter((g) => g.type === 'message.status').map((g) => (g.data.message as { status: string }).status);
    await waitFor(async () => statuses().includes('sent') && statuses().includes('delivered')
      && receiver.for(path).some((g) => g.type === 'message.received'), 'status and received events at the receiver');
    await asUser(fx.db.sql, s.userId, (tx) => tx`select request_session_command(${s.sessionId}, 'logout')`);
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
    const rows = await fx.db.sql`select e.id, e.status, count(d.id)::int as attempts from webhook_events e
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
    const log = await asUser(fx.db.sql, u.userId, (tx) => tx`select attempt, status_code, error, attempted_at from webhook_deliveries where event_id = ${eventId} order by id`);
    expect(log.map((l) => [l.attempt, l.status_code])).toEqual([[1, 500], [2, 500], [3, 500], [4, 200]]);
    expect(log[0]!.error).toBe('HTTP 500');
    const timeline = log.map((l) => (l.attempted_at as Date).getTime() - (log[0]!.attempted_at as Date).getTime());
    console.log(`webhook retry timeline (ms after the first attempt): ${timeline.join(', ')}`);
    // Back-off: every wait is at least half its exponential step (base 200 ms: 100, 200, 400).
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]! - timeline[i - 1]!).toBeGreaterThanOrEqual(100 * 2 ** (i - 1));
    const [event] = await asUser(fx.db.sql, u.userId, (tx) => tx`select status, attempts, last_status_code from webhook_events where id = ${eventId}`);
    expect(event).toEqual({ status: 'delivered', attempts: 4, last_status_code: 200 });
    expect(receiver.for(path)[0]!.id).toBe(eventId);
  }, 60_000);

  it('a receiver down for the whole retry window dead-letters the event; the user redelivers it (same id)', async () => {
    const u = await userWithInbound('dead letter');
    const path = `/down-${u.userId}`;
    let up = false;
    await subscribe(u.userId, path, () => (up ? 200 : 503));
    const eventId = await u.write();
    const dead = await waitFor(async () => (await fx.db.sql`select status, attempts, last_error from webhook_events where id = ${eventId} and status = 'dead'`)[0], 'the dead letter');
    expect(dead).toEqual({ status: 'dead', attempts: 4, last_error: 'HTTP 503' });
    expect(receiver.for(path)).toEqual([]);

    const other = await createUser(fx.db.sql);
    await expect(asUser(fx.db.sql, other, (tx) => tx`select redeliver_webhook_event(${eventId})`)).rejects.toMatchObject({ code: 'WL404' });
    up = true;
    await asUser(fx.db.sql, u.userId, (tx) => tx`select redeliver_webhook_event(${eventId})`);
    await waitFor(async () => receiver.for(path).length === 1, 'the redelivered event');
    expect(receiver.for(path)[0]!.id).toBe(eventId);
    const log = await asUser(fx.db.sql, u.userId, (tx) => tx`select status_code from webhook_deliveries where event_id = ${eventId} order by id`);
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
