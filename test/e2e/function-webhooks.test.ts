// The webhook delivery log and redelivery end to end: the /webhooks/events routes of the whatsapp function
// (paging and filters, one event's attempts, redeliver one or a range, bad input with stable codes and
// nothing written) and the outbox under RLS through supabase-js as two real users. Events are written by the
// outbox's own enqueue function and moved through the connector's own transitions (claim_webhook_events,
// record_webhook_attempt) by SQL: no connector or receiver runs here (connector-webhooks covers delivery).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness, type TestUser } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  h = await startFunctionHarness({ WHATSAPP_WEBHOOK_ALLOW_PRIVATE: 'enabled' });
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => { await h?.stop(); });

const URL_ = 'http://127.0.0.1:9/hooks';

async function subscribedUser(): Promise<TestUser> {
  const user = await createSignedInUser(h.stack);
  const saved = await api('PUT', '/settings', { token: user.token, json: { config: { webhook: { url: URL_, enabled: true } } } });
  expect(saved.status).toBe(200);
  return user;
}

/** `n` events written in one transaction (the same occurred_at: paging must break the tie by id). */
async function enqueue(user: TestUser, n: number, type = 'message.received'): Promise<string[]> {
  return h.stack.sql.begin(async (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const [row] = await tx`select enqueue_webhook_event(${user.id}, ${type}, null, ${tx.json({ n: i })}) as id`;
      ids.push(row!.id as string);
    }
    return ids;
  });
}

/** What a connector does with a claimed event: one attempt each answer; the last one without a retry is dead. */
async function attempt(eventId: string, answers: (number | null)[], finalRetry: boolean): Promise<void> {
  for (const [i, code] of answers.entries()) {
    // due before the user's other events (one event per user is claimed at a time)
    await h.stack.sql`update webhook_events set next_attempt_at = now() - interval '1 hour' where id = ${eventId}`;
    const claimed = await h.stack.sql`select id from claim_webhook_events('test-connector', 100, '1 minute')`;
    expect(claimed.map((r) => r.id)).toContain(eventId);
    for (const other of claimed.filter((r) => r.id !== eventId)) {
      await h.stack.sql`select return_webhook_event(${other.id}, 'test-connector')`;
    }
    const last = i === answers.length - 1;
    const retry = code !== null && code < 300 ? null : last && !finalRetry ? null : '0 seconds';
    const recorded = await h.stack.sql`select record_webhook_attempt(${eventId}, 'test-connector', ${URL_}, ${code},
      ${code === null ? 'connect ECONNREFUSED 127.0.0.1:9' : code >= 300 ? `HTTP ${code}` : null}, 15, ${retry}::interval) as ok`;
    expect(recorded[0]!.ok).toBe(true);
  }
}

const deadEvent = async (user: TestUser) => {
  const [id] = await enqueue(user, 1);
  await attempt(id!, [500, null], false);
  return id!;
};

const statusOf = async (id: string) => (await h.stack.sql`select status from webhook_events where id = ${id}`)[0]!.status as string;

describe('whatsapp function: /webhooks/events', () => {
  it('lists the caller\'s events newest first, in pages that neither repeat nor skip, with filters', async () => {
    const user = await subscribedUser();
    const older = await enqueue(user, 5);
    const newer = await enqueue(user, 2, 'session.status');
    await attempt(older[0]!, [503, 503], false);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await api('GET', `/webhooks/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: user.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.events.map((e: { id: string }) => e.id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(new Set([...older, ...newer]));
    expect(seen).toEqual([...older, ...newer].reverse());

    const dead = await api('GET', '/webhooks/events?status=dead', { token: user.token });
    expect(dead.body.events).toEqual([expect.objectContaining({
      id: older[0], event_type: 'message.received', status: 'dead', attempts: 2, last_status_code: 503, last_error: 'HTTP 503',
      dead_at: expect.any(String), delivered_at: null,
    })]);
    expect(dead.body.next_cursor).toBeNull();
    const sessions = await api('GET', '/webhooks/events?event_type=session.status', { token: user.token });
    expect(sessions.body.events.map((e: { id: string }) => e.id).sort()).toEqual([...newer].sort());
    const future = await api('GET', `/webhooks/events?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token: user.token });
    expect(future.body.events).toEqual([]);
    const past = await api('GET', '/webhooks/events?until=2020-01-01T00:00:00Z', { token: user.token });
    expect(past.body.events).toEqual([]);
  });

  it('shows one event with its data and every attempt, oldest first', async () => {
    const user = await subscribedUser();
    const [id] = await enqueue(user, 1);
    await attempt(id!, [500, null, 200], true);
    const reply = await api('GET', `/webhooks/events/${id}`, { token: user.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id, status: 'delivered', attempts: 3, last_status_code: 200, last_error: null, data: { n: 0 } });
    expect(reply.body.deliveries).toEqual([
      { attempt: 1, url: URL_, status_code: 500, error: 'HTTP 500', duration_ms: 15, attempted_at: expect.any(String) },
      { attempt: 2, url: URL_, status_code: null, error: 'connect ECONNREFUSED 127.0.0.1:9', duration_ms: 15, attempted_at: expect.any(String) },
      { attempt: 3, url: URL_, status_code: 200, error: null, duration_ms: 15, attempted_at: expect.any(String) },
    ]);
  });

  it('redelivers one dead event with the same id; an event in flight is a 409', async () => {
    const user = await subscribedUser();
    const id = await deadEvent(user);
    const reply = await api('POST', `/webhooks/events/${id}/redeliver`, { token: user.token });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ id, status: 'pending', attempts: 0, dead_at: null });
    expect(await statusOf(id)).toBe('pending');
    const again = await api('POST', `/webhooks/events/${id}/redeliver`, { token: user.token });
    expect([again.status, again.body.error.code]).toEqual([409, 'event_in_flight']);
    // the log keeps the earlier attempts
    const detail = await api('GET', `/webhooks/events/${id}`, { token: user.token });
    expect(detail.body.deliveries).toHaveLength(2);
  });

  it('redelivers a range: by filter (oldest first, up to the limit) or by ids, skipping events in flight', async () => {
    const user = await subscribedUser();
    const dead = [await deadEvent(user), await deadEvent(user), await deadEvent(user)];
    const [pending] = await enqueue(user, 1);
    const [delivered] = await enqueue(user, 1, 'session.status');
    await attempt(delivered!, [200], false);

    const two = await api('POST', '/webhooks/events/redeliver', { token: user.token, json: { status: 'dead', limit: 2 } });
    expect([two.status, two.body]).toEqual([202, { redelivered: dead.slice(0, 2) }]);
    expect(await statusOf(dead[2]!)).toBe('dead');
    const byIds = await api('POST', '/webhooks/events/redeliver', { token: user.token, json: { ids: [dead[2], pending, delivered] } });
    expect(byIds.status).toBe(202);
    expect(new Set(byIds.body.redelivered)).toEqual(new Set([dead[2], delivered]));
    expect(await Promise.all([...dead, pending!, delivered!].map(statusOf))).toEqual(Array(5).fill('pending'));
    const none = await api('POST', '/webhooks/events/redeliver', { token: user.token, json: { since: '2020-01-01T00:00:00Z' } });
    expect([none.status, none.body]).toEqual([202, { redelivered: [] }]);
  });

  it('refuses bad input with 4xx and a stable code, and changes nothing', async () => {
    const user = await subscribedUser();
    const id = await deadEvent(user);
    const missing = `evt_${'a'.repeat(32)}`;
    const gets: [string, number, string][] = [
      ['/webhooks/events?limit=0', 400, 'validation_failed'],
      ['/webhooks/events?limit=101', 400, 'validation_failed'],
      ['/webhooks/events?status=lost', 400, 'validation_failed'],
      ['/webhooks/events?event_type=message.deleted', 400, 'validation_failed'],
      ['/webhooks/events?since=yesterday', 400, 'validation_failed'],
      ['/webhooks/events?since=2026-12-07T10:00:00Z&until=2026-12-06T10:00:00Z', 400, 'invalid_range'],
      ['/webhooks/events?cursor=not-a-cursor', 400, 'invalid_cursor'],
      [`/webhooks/events?cursor=${Buffer.from('{"s":"1 or 1=1"}').toString('base64url')}`, 400, 'invalid_cursor'],
      ['/webhooks/events/not-an-event', 400, 'validation_failed'],
      [`/webhooks/events/${missing}`, 404, 'event_not_found'],
    ];
    for (const [path, status, code] of gets) {
      const reply = await api('GET', path, { token: user.token });
      expect([reply.status, reply.body?.error?.code], path).toEqual([status, code]);
    }
    const posts: [string, Parameters<typeof api>[2], number, string][] = [
      [`/webhooks/events/${id}/redeliver`, {}, 401, 'auth_required'],
      ['/webhooks/events/evt_XYZ/redeliver', { token: user.token }, 400, 'validation_failed'],
      [`/webhooks/events/${missing}/redeliver`, { token: user.token }, 404, 'event_not_found'],
      ['/webhooks/events/redeliver', { token: user.token, json: { ids: [id], status: 'dead' } }, 400, 'invalid_range'],
      ['/webhooks/events/redeliver', { token: user.token, json: { since: '2026-12-08T00:00:00Z', until: '2026-12-07T00:00:00Z' } }, 400, 'invalid_range'],
      ['/webhooks/events/redeliver', { token: user.token, json: { ids: [id, missing], limit: 1 } }, 400, 'invalid_range'],
      ['/webhooks/events/redeliver', { token: user.token, json: { ids: [] } }, 400, 'validation_failed'],
      ['/webhooks/events/redeliver', { token: user.token, json: { ids: ['evt_1'] } }, 400, 'validation_failed'],
      ['/webhooks/events/redeliver', { token: user.token, json: { status: 'pending' } }, 400, 'validation_failed'],
      ['/webhooks/events/redeliver', { token: user.token, json: { limit: 0 } }, 400, 'validation_failed'],
      ['/webhooks/events/redeliver', { token: user.token, json: { limit: 1001 } }, 400, 'validation_failed'],
      ['/webhooks/events/redeliver', { token: user.token, json: { since: 'today' } }, 400, 'validation_failed'],
      ['/webhooks/events/redeliver', { token: user.token, json: { everything: true } }, 400, 'unknown_field'],
      ['/webhooks/events/redeliver', { token: user.token, body: '{"ids": ', headers: { 'Content-Type': 'application/json' } }, 400, 'invalid_json'],
      ['/webhooks/events/redeliver', { token: user.token, body: 'ids=1', headers: { 'Content-Type': 'text/plain' } }, 415, 'unsupported_media_type'],
    ];
    for (const [path, options, status, code] of posts) {
      const reply = await api('POST', path, options);
      expect([reply.status, reply.body?.error?.code], `${path} ${JSON.stringify(options?.json ?? options?.body)}`).toEqual([status, code]);
      expect(reply.body.error.message).toEqual(expect.any(String));
    }
    expect(await statusOf(id)).toBe('dead');
  });
});

describe('webhook_events and webhook_deliveries through supabase-js (RLS)', () => {
  it('another user can neither see nor redeliver a user\'s events and their delivery log', async () => {
    const alice = await subscribedUser();
    const bob = await subscribedUser();
    const id = await deadEvent(alice);
    await deadEvent(bob);

    const { data: aliceSees } = await alice.client.from('webhook_events').select('id');
    expect(aliceSees).toEqual([{ id }]);
    const { data: events, error } = await bob.client.from('webhook_events').select('id').eq('id', id);
    expect(error).toBeNull();
    expect(events).toEqual([]);
    const { data: log } = await bob.client.from('webhook_deliveries').select('id').eq('event_id', id);
    expect(log).toEqual([]);
    const { data: aliceLog } = await alice.client.from('webhook_deliveries').select('attempt').eq('event_id', id);
    expect(aliceLog).toHaveLength(2);

    const { error: one } = await bob.client.rpc('redeliver_webhook_event', { p_event_id: id });
    expect(one?.code).toBe('WL404');
    const { data: range, error: rangeError } = await bob.client.rpc('redeliver_webhook_events', { p_ids: [id] });
    expect(rangeError).toBeNull();
    expect(range).toEqual([]);
    const { data: all } = await bob.client.rpc('redeliver_webhook_events', { p_status: 'dead' });
    expect(all).not.toContain(id);
    const { error: update } = await bob.client.from('webhook_events').update({ status: 'pending' }).eq('id', id);
    expect(update?.code).toBe('42501');
    const { error: anonCall } = await h.stack.client().rpc('redeliver_webhook_events', { p_ids: [id] });
    expect(anonCall?.code).toBe('42501');

    expect((await api('GET', `/webhooks/events/${id}`, { token: bob.token })).status).toBe(404);
    expect((await api('POST', `/webhooks/events/${id}/redeliver`, { token: bob.token })).body.error.code).toBe('event_not_found');
    expect((await api('POST', '/webhooks/events/redeliver', { token: bob.token, json: { ids: [id] } })).body).toEqual({ redelivered: [] });
    expect((await api('GET', '/webhooks/events', { token: bob.token })).body.events.map((e: { id: string }) => e.id)).not.toContain(id);
    expect(await statusOf(id)).toBe('dead');
  });
});
