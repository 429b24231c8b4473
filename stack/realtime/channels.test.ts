import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { createTestDatabase, createUser, type TestDatabase } from '../../test/support/postgres.ts';
import { LOCAL_ANON_KEY } from '../keys.ts';
import { EventLog, createTestClient, signUserToken, startRealtimeTestServer, type RealtimeTestServer } from './test-support.ts';

let db: TestDatabase;
let server: RealtimeTestServer;
const clients: SupabaseClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startRealtimeTestServer({ databaseUrl: db.url });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.removeAllChannels()));
  await server?.close();
  await db?.drop();
});

function track(client: SupabaseClient): SupabaseClient {
  clients.push(client);
  return client;
}

/** Subscribes and records every status the subscribe callback reports. */
function subscribeWithStatuses(channel: RealtimeChannel) {
  const statuses = new EventLog<{ status: string; error?: Error }>();
  channel.subscribe((status, error) => statuses.push({ status, error }));
  return statuses;
}

function socketUrl(base: string, apikey = LOCAL_ANON_KEY): string {
  return `${base.replace('http', 'ws')}/realtime/v1/websocket?apikey=${apikey}&vsn=2.0.0`;
}

function openRawSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

async function createSession(userId: string): Promise<string> {
  const [row] = await db.sql<{ id: string }[]>`insert into whatsapp_sessions (user_id) values (${userId}) returning id`;
  return row!.id;
}

describe('realtime channels', () => {
  it('resubscribes a client whose socket the server dropped, and delivers later changes', async () => {
    const user = await createUser(db.sql);
    const client = track(await createTestClient(server.url, { token: await signUserToken(user) }));
    const changes = new EventLog<{ new: Record<string, unknown> }>();
    const channel = client.channel('reconnect').on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'whatsapp_sessions' }, changes.push);
    const statuses = subscribeWithStatuses(channel);
    await statuses.waitFor((s) => s.status === 'SUBSCRIBED');

    expect(server.realtime.dropConnections()).toBeGreaterThan(0);
    await statuses.waitFor((s) => s.status === 'CHANNEL_ERROR' || s.status === 'CLOSED');
    let subscriptions = 0;
    await statuses.waitFor((s) => s.status === 'SUBSCRIBED' && ++subscriptions === 2);

    const sessionId = await createSession(user);
    await changes.waitFor((e) => e.new.id === sessionId);
  });

  it('closes the channel with a system error when an access_token refresh carries an expired token', async () => {
    const user = await createUser(db.sql);
    const client = track(await createTestClient(server.url, { token: await signUserToken(user) }));
    const system = new EventLog<{ status: string; message: string; extension: string }>();
    const channel = client
      .channel('token-refresh')
      .on('postgres_changes', { event: '*', schema: 'public', table: 'whatsapp_sessions' }, () => {})
      .on('system', {}, system.push);
    const statuses = subscribeWithStatuses(channel);
    await statuses.waitFor((s) => s.status === 'SUBSCRIBED');
    await system.waitFor((m) => m.status === 'ok');

    await client.realtime.setAuth(await signUserToken(user, -30));
    const error = await system.waitFor((m) => m.status === 'error');
    expect(error.message).toMatch(/^Token has expired \d+ seconds ago$/);
    await statuses.waitFor((s) => s.status === 'CLOSED');
  });

  it('closes the channel when its access token expires while subscribed', async () => {
    const user = await createUser(db.sql);
    const token = await signUserToken(user, 2);
    const client = track(await createTestClient(server.url, { token }));
    const system = new EventLog<{ status: string; message: string }>();
    const statuses = subscribeWithStatuses(client.channel('expiring').on('system', {}, system.push));
    await statuses.waitFor((s) => s.status === 'SUBSCRIBED');
    expect((await system.waitFor((m) => m.status === 'error')).message).toMatch(/Token has expired/);
    await statuses.waitFor((s) => s.status === 'CLOSED');
  });

  it('refuses a join whose access_token is not a valid JWT', async () => {
    const client = track(await createTestClient(server.url, { token: 'not-a-jwt' }));
    const statuses = subscribeWithStatuses(client.channel('bad-token'));
    const failure = await statuses.waitFor((s) => s.status === 'CHANNEL_ERROR');
    expect(failure.error?.message).toMatch(/InvalidJWTToken/);
  });

  it('reports an unknown table and a bad filter as postgres_changes system errors, as Realtime does', async () => {
    const user = await createUser(db.sql);
    const client = track(await createTestClient(server.url, { token: await signUserToken(user) }));
    for (const [name, binding] of [
      ['unknown-table', { event: '*', schema: 'public', table: 'no_such_table' }],
      ['bad-filter-value', { event: '*', schema: 'public', table: 'whatsapp_sessions', filter: 'id=eq.not-a-uuid' }],
      ['bad-filter-column', { event: '*', schema: 'public', table: 'whatsapp_sessions', filter: 'nope=eq.1' }],
      ['bad-filter-operator', { event: '*', schema: 'public', table: 'whatsapp_sessions', filter: 'status=like' }],
    ] as const) {
      const system = new EventLog<{ status: string; message: string; extension: string }>();
      const statuses = subscribeWithStatuses(client.channel(name).on('postgres_changes', binding as never, () => {}).on('system', {}, system.push));
      await statuses.waitFor((s) => s.status === 'SUBSCRIBED');
      const error = await system.waitFor((m) => m.status === 'error');
      expect(error.extension, name).toBe('postgres_changes');
      expect(error.message, name).toMatch(/^Unable to subscribe to changes with given parameters/);
    }
  });

  it('relays broadcasts between clients on the same topic, to the sender too with self, with ack', async () => {
    const alice = track(await createTestClient(server.url));
    const bob = track(await createTestClient(server.url));
    const aliceLog = new EventLog<{ event: string; payload: unknown }>();
    const bobLog = new EventLog<{ event: string; payload: unknown }>();
    const aliceChannel = alice.channel('room-1', { config: { broadcast: { self: true, ack: true } } }).on('broadcast', { event: 'ping' }, aliceLog.push);
    const bobChannel = bob.channel('room-1').on('broadcast', { event: 'ping' }, bobLog.push);
    await subscribeWithStatuses(aliceChannel).waitFor((s) => s.status === 'SUBSCRIBED');
    await subscribeWithStatuses(bobChannel).waitFor((s) => s.status === 'SUBSCRIBED');

    expect(await aliceChannel.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } })).toBe('ok');
    expect((await bobLog.waitFor((m) => m.event === 'ping')).payload).toEqual({ n: 1 });
    expect((await aliceLog.waitFor((m) => m.event === 'ping')).payload).toEqual({ n: 1 });
  });

  it('disconnects a socket that never sends a heartbeat', async () => {
    const quick = await startRealtimeTestServer({ databaseUrl: db.url, heartbeatTimeoutMs: 600 });
    try {
      const silent = await openRawSocket(socketUrl(quick.url));
      const heartbeating = await openRawSocket(socketUrl(quick.url));
      const beat = setInterval(() => heartbeating.send(JSON.stringify([null, String(Date.now()), 'phoenix', 'heartbeat', {}])), 100);
      try {
        await closed(silent);
        expect(heartbeating.readyState).toBe(WebSocket.OPEN);
      } finally {
        clearInterval(beat);
        heartbeating.close();
      }
    } finally {
      await quick.close();
    }
  });

  it('closes a socket that sends garbage and keeps serving everyone else', async () => {
    for (const garbage of ['not json', '[1,2]', '{"a":1}', '[null,null,"t","e","not-an-object"]', Buffer.from([9, 9, 9])]) {
      const ws = await openRawSocket(socketUrl(server.url));
      const code = closed(ws);
      ws.send(garbage);
      expect(await code).toBe(1007);
    }
    const user = await createUser(db.sql);
    const client = track(await createTestClient(server.url, { token: await signUserToken(user) }));
    const changes = new EventLog<{ new: Record<string, unknown> }>();
    const statuses = subscribeWithStatuses(
      client.channel('after-garbage').on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'whatsapp_sessions' }, changes.push),
    );
    await statuses.waitFor((s) => s.status === 'SUBSCRIBED');
    const sessionId = await createSession(user);
    await changes.waitFor((e) => e.new.id === sessionId);
  });

  it('answers a heartbeat and rejects frames for a topic it never joined', async () => {
    const ws = await openRawSocket(socketUrl(server.url));
    const frames = new EventLog<unknown[]>();
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as unknown[]));
    ws.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]));
    ws.send(JSON.stringify(['2', '2', 'realtime:never-joined', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }]));
    expect(await frames.waitFor((f) => f[1] === '1')).toEqual([null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    expect(await frames.waitFor((f) => f[1] === '2')).toEqual(['2', '2', 'realtime:never-joined', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
    ws.close();
  });

  it('refuses a socket whose apikey is not a valid key', async () => {
    const ws = new WebSocket(socketUrl(server.url, 'nonsense'));
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
    ws.on('error', () => {}); // terminating before the handshake completed reports an error; expected here
    ws.terminate();
  });

  it('speaks the vsn 1.0.0 object frames too', async () => {
    const ws = await openRawSocket(socketUrl(server.url).replace('vsn=2.0.0', 'vsn=1.0.0'));
    const frames = new EventLog<Record<string, unknown>>();
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    ws.send(JSON.stringify({ topic: 'realtime:v1', event: 'phx_join', payload: { config: {} }, ref: '1', join_ref: '1' }));
    ws.send(JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '2' }));
    expect(await frames.waitFor((f) => f.ref === '1')).toEqual({
      topic: 'realtime:v1', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '1', join_ref: '1',
    });
    expect((await frames.waitFor((f) => f.ref === '2')).payload).toEqual({ status: 'ok', response: {} });
    ws.close();
  });

  it('lets a user join a private channel only when realtime.messages policies allow it', async () => {
    const user = await createUser(db.sql);
    const client = track(await createTestClient(server.url, { token: await signUserToken(user) }));
    const denied = subscribeWithStatuses(client.channel(`user:${user}`, { config: { private: true } }));
    expect((await denied.waitFor((s) => s.status === 'CHANNEL_ERROR')).error?.message).toMatch(/^Unauthorized/);
    await client.removeAllChannels();

    await db.sql.unsafe(`
      create policy "users read their own topic" on realtime.messages for select to authenticated
      using ((select realtime.topic()) = 'user:' || (select auth.uid())::text)`);
    const allowed = subscribeWithStatuses(client.channel(`user:${user}`, { config: { private: true } }));
    await allowed.waitFor((s) => s.status === 'SUBSCRIBED');
    const other = subscribeWithStatuses(client.channel(`user:${crypto.randomUUID()}`, { config: { private: true } }));
    await other.waitFor((s) => s.status === 'CHANNEL_ERROR');
  });

  it('subscribes bindings the apikey claims could not take once an access_token brings the user claims', async () => {
    const user = await createUser(db.sql);
    const sessionId = await createSession(user);
    const client = track(await createTestClient(server.url)); // joins with the anon key's claims
    const system = new EventLog<{ status: string; message: string }>();
    const changes = new EventLog<{ new: Record<string, unknown> }>();
    const channel = client
      .channel('late-token')
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'whatsapp_sessions', filter: `id=eq.${sessionId}` }, changes.push)
      .on('system', {}, system.push);
    await subscribeWithStatuses(channel).waitFor((s) => s.status === 'SUBSCRIBED');
    expect((await system.waitFor((m) => m.status === 'error')).message).toMatch(/invalid column for filter id/);

    await client.realtime.setAuth(await signUserToken(user));
    await system.waitFor((m) => m.status === 'ok');
    await db.sql`update whatsapp_sessions set push_name = 'late' where id = ${sessionId}`;
    expect((await changes.waitFor((e) => e.new.id === sessionId)).new.push_name).toBe('late');
  });

  it('delivers realtime.send messages (Broadcast from Database) when realtime.messages is published', async () => {
    // The bootstrap creates Realtime's messages publication, as Realtime does on Supabase.
    const [publication] = await db.sql`
      select 1 from pg_publication where pubname = 'supabase_realtime_messages_publication'`;
    expect(publication).toBeDefined();
    await db.sql.unsafe(`
      create policy "broadcast test: users read their own topic" on realtime.messages for select to authenticated
      using ((select realtime.topic()) = 'user:' || (select auth.uid())::text)`);
    const withMessages = await startRealtimeTestServer({ databaseUrl: db.url });
    try {
      const user = await createUser(db.sql);
      const client = await createTestClient(withMessages.url, { token: await signUserToken(user) });
      const publicClient = await createTestClient(withMessages.url);
      const privateLog = new EventLog<{ event: string; payload: Record<string, unknown>; meta?: unknown }>();
      const publicLog = new EventLog<{ event: string; payload: Record<string, unknown>; meta?: unknown }>();
      const privateChannel = client.channel(`user:${user}`, { config: { private: true } }).on('broadcast', { event: '*' }, privateLog.push);
      const publicChannel = publicClient.channel('news').on('broadcast', { event: '*' }, publicLog.push);
      await subscribeWithStatuses(privateChannel).waitFor((s) => s.status === 'SUBSCRIBED');
      await subscribeWithStatuses(publicChannel).waitFor((s) => s.status === 'SUBSCRIBED');

      await db.sql`select realtime.send('{"hello":"private"}'::jsonb, 'greeting', ${`user:${user}`}, true)`;
      await db.sql`select realtime.send('{"hello":"public"}'::jsonb, 'headline', 'news', false)`;
      const received = await privateLog.waitFor((m) => m.event === 'greeting');
      // As Realtime sends it: the stored payload (realtime.send added the message id to it), the id in meta.
      const meta = received.meta as { id: string };
      expect(meta.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(received.payload).toEqual({ hello: 'private', id: meta.id });
      expect((await publicLog.waitFor((m) => m.event === 'headline')).payload).toMatchObject({ hello: 'public' });
      expect(publicLog.events.map((m) => m.event)).toEqual(['headline']);
      await client.removeAllChannels();
      await publicClient.removeAllChannels();
    } finally {
      await withMessages.close();
    }
  });
});
