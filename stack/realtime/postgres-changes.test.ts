import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeChannel, RealtimePostgresChangesPayload, SupabaseClient } from '@supabase/supabase-js';
import { createTestDatabase, createUser, type TestDatabase } from '../../test/support/postgres.ts';
import { LOCAL_SERVICE_ROLE_KEY } from '../keys.ts';
import { EventLog, createTestClient, signUserToken, startRealtimeTestServer, type RealtimeTestServer } from './test-support.ts';

type Change = RealtimePostgresChangesPayload<Record<string, unknown>>;

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

async function userClient(userId: string): Promise<SupabaseClient> {
  const client = await createTestClient(server.url, { token: await signUserToken(userId) });
  clients.push(client);
  return client;
}

async function serviceClient(): Promise<SupabaseClient> {
  const client = await createTestClient(server.url, { apiKey: LOCAL_SERVICE_ROLE_KEY });
  clients.push(client);
  return client;
}

function subscribe(channel: RealtimeChannel): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve(channel);
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(error ?? new Error(status));
    });
  });
}

/** Subscribes `client` to `table` changes and collects them. */
async function watch(client: SupabaseClient, table: string, event: '*' | 'INSERT' | 'UPDATE' | 'DELETE' = '*', filter?: string) {
  const log = new EventLog<Change>();
  const channel = client
    .channel(`watch-${table}-${Math.random().toString(36).slice(2)}`)
    .on('postgres_changes', { event, schema: 'public', table, ...(filter ? { filter } : {}) } as never, log.push);
  await subscribe(channel);
  return { log, channel };
}

async function createSession(userId: string): Promise<string> {
  const [row] = await db.sql<{ id: string }[]>`insert into whatsapp_sessions (user_id) values (${userId}) returning id`;
  return row!.id;
}

async function queueMessage(sessionId: string, userId: string, text: string): Promise<string> {
  const [row] = await db.sql<{ id: string }[]>`
    insert into outbound_messages (session_id, user_id, recipient, text) values (${sessionId}, ${userId}, '+15550001111', ${text})
    returning id`;
  return row!.id;
}

describe('postgres_changes over the WAL', () => {
  it('delivers an insert and an update to the owner, typed like Realtime, and never to another user', async () => {
    const alice = await createUser(db.sql);
    const bob = await createUser(db.sql);
    const aliceWatch = await watch(await userClient(alice), 'whatsapp_sessions');
    const bobWatch = await watch(await userClient(bob), 'whatsapp_sessions');

    const sessionId = await createSession(alice);
    const inserted = await aliceWatch.log.waitFor((e) => e.eventType === 'INSERT' && (e.new as { id?: string }).id === sessionId);
    expect(inserted).toMatchObject({ schema: 'public', table: 'whatsapp_sessions', errors: null, old: {} });
    expect(inserted.new).toMatchObject({ id: sessionId, user_id: alice, status: 'new', reconnect_attempts: 0, qr: null, lease_epoch: 0 });
    expect((inserted.new as { created_at: string }).created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
    expect(inserted.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    await db.sql`update whatsapp_sessions set push_name = 'Alice' where id = ${sessionId}`;
    const updated = await aliceWatch.log.waitFor((e) => e.eventType === 'UPDATE');
    expect(updated.new).toMatchObject({ id: sessionId, push_name: 'Alice' });
    expect(updated.old).toEqual({ id: sessionId });

    // Bob's own row is a sentinel: changes reach a channel in commit order, so once Bob sees his row,
    // he would already have seen Alice's two changes had RLS let them through.
    const bobSession = await createSession(bob);
    await bobWatch.log.waitFor((e) => (e.new as { id?: string }).id === bobSession);
    expect(bobWatch.log.events.map((e) => (e.new as { id?: string }).id)).toEqual([bobSession]);
  });

  it('narrows deliveries with a filter (id=eq.X, user_id=in.(…))', async () => {
    const carol = await createUser(db.sql);
    const client = await userClient(carol);
    const sessionId = await createSession(carol);
    const first = await queueMessage(sessionId, carol, 'first');
    const second = await queueMessage(sessionId, carol, 'second');
    const byId = await watch(client, 'outbound_messages', 'UPDATE', `id=eq.${second}`);
    const byUser = await watch(client, 'outbound_messages', 'UPDATE', `user_id=in.(${crypto.randomUUID()},${carol})`);

    await db.sql`update outbound_messages set attempts = 1 where id = ${first}`;
    await db.sql`update outbound_messages set attempts = 2 where id = ${second}`;
    await byId.log.waitFor((e) => (e.new as { id?: string }).id === second);
    await byUser.log.waitFor((e) => (e.new as { id?: string }).id === second);
    expect(byId.log.events.map((e) => (e.new as { attempts?: number }).attempts)).toEqual([2]);
    expect(byUser.log.events.map((e) => (e.new as { attempts?: number }).attempts)).toEqual([1, 2]);
  });

  it("delivers INSERT, UPDATE and DELETE to a '*' binding; a DELETE carries only the primary key, as Supabase does with RLS", async () => {
    const dave = await createUser(db.sql);
    const { log } = await watch(await userClient(dave), 'session_commands');
    const sessionId = await createSession(dave);
    const [command] = await db.sql<{ id: string }[]>`
      insert into session_commands (session_id, user_id, command) values (${sessionId}, ${dave}, 'connect') returning id`;
    const id = Number(command!.id);
    // Each step waits: like Supabase, the RLS re-check reads the live row, so a row already deleted when its
    // INSERT is checked is not delivered.
    await log.waitFor((e) => e.eventType === 'INSERT');
    await db.sql`update session_commands set status = 'running', claimed_by = 'test', claim_expires_at = now() where id = ${id}`;
    await log.waitFor((e) => e.eventType === 'UPDATE');
    await db.sql`delete from session_commands where id = ${id}`;
    const deleted = await log.waitFor((e) => e.eventType === 'DELETE');
    expect(log.events.map((e) => e.eventType)).toEqual(['INSERT', 'UPDATE', 'DELETE']);
    expect(log.events[0]!.new).toMatchObject({ id, command: 'connect', payload: {}, status: 'pending' });
    expect(deleted.old).toEqual({ id });
    expect(deleted.new).toEqual({});
  });

  it('gives service_role every change without an RLS check', async () => {
    const erin = await createUser(db.sql);
    const { log } = await watch(await serviceClient(), 'outbound_messages', 'INSERT');
    const sessionId = await createSession(erin);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await queueMessage(sessionId, erin, `bulk ${i}`));
    await log.waitFor((e) => (e.new as { id?: string }).id === ids.at(-1));
    const seen = log.events.map((e) => (e.new as { id?: string }).id).filter((id) => ids.includes(id!));
    expect(seen).toEqual(ids);
  });

  it('leaves out columns the role may not select, and sends only small values of a record over 1 MB with a 413 error', async () => {
    await db.sql.unsafe(`
      create table public.realtime_probe (id bigint generated always as identity primary key,
        owner uuid not null, secret text, note text);
      alter table public.realtime_probe enable row level security;
      create policy "owners read" on public.realtime_probe for select to authenticated using ((select auth.uid()) = owner);
      grant select (id, owner, note) on public.realtime_probe to authenticated;
      alter publication supabase_realtime add table public.realtime_probe;`);
    const frank = await createUser(db.sql);
    const { log } = await watch(await userClient(frank), 'realtime_probe', 'INSERT');
    await db.sql`insert into realtime_probe (owner, secret, note) values (${frank}, 'hidden', 'small')`;
    const small = await log.waitFor((e) => (e.new as { note?: string }).note === 'small');
    expect(small.new).toEqual({ id: expect.any(Number), owner: frank, note: 'small' });
    expect(small.errors).toBeNull();

    await db.sql`insert into realtime_probe (owner, note) values (${frank}, ${'x'.repeat(1_100_000)})`;
    const large = await log.waitFor((e) => Array.isArray(e.errors));
    expect(large.errors).toEqual(['Error 413: Payload Too Large']);
    expect(large.new).toEqual({ id: expect.any(Number), owner: frank });
  });

  it('checks several users in one batch: each sees only their own rows, and a role without privileges gets 401 errors', async () => {
    const users = await Promise.all([0, 1, 2, 3].map(() => createUser(db.sql)));
    const watches = await Promise.all(users.map(async (user) => (await watch(await userClient(user), 'whatsapp_sessions')).log));
    const anonymous = await createTestClient(server.url);
    clients.push(anonymous);
    const anon = (await watch(anonymous, 'whatsapp_sessions', 'INSERT')).log;

    const rows = await db.sql<{ id: string; user_id: string }[]>`
      insert into whatsapp_sessions (user_id) select unnest(${users}::uuid[]) returning id, user_id`;
    await db.sql`update whatsapp_sessions set push_name = 'batched' where id = any(${rows.map((r) => r.id)}::uuid[])`;
    for (const [i, user] of users.entries()) {
      const own = rows.find((row) => row.user_id === user)!.id;
      await watches[i]!.waitFor((e) => e.eventType === 'UPDATE' && (e.new as { id?: string }).id === own);
      // Changes reach a channel in commit order: by its UPDATE, any foreign INSERT would already be here.
      expect(watches[i]!.events.map((e) => [e.eventType, (e.new as { id?: string }).id])).toEqual([['INSERT', own], ['UPDATE', own]]);
    }
    await anon.waitFor(() => anon.events.length === 4);
    for (const event of anon.events) {
      expect(event).toMatchObject({ table: 'whatsapp_sessions', eventType: 'INSERT', new: {}, errors: ['Error 401: Unauthorized'] });
    }
  });
});
