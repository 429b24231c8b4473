// A Postgres restart under a running realtime server. It needs its own Postgres (the shared test server
// cannot be restarted under other test files), so it builds a tiny schema instead of the migrations.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import postgres from 'postgres';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startEmbeddedPostgres, type RunningPostgres } from '../db/embedded.ts';
import { LOCAL_SERVICE_ROLE_KEY } from '../keys.ts';
import { EventLog, createTestClient, signUserToken, startRealtimeTestServer, type RealtimeTestServer } from './test-support.ts';

let dataDir: string;
let pg: RunningPostgres | undefined;
let server: RealtimeTestServer | undefined;
const clients: SupabaseClient[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wl-realtime-restart-'));
  pg = await startEmbeddedPostgres({ dataDir, persistent: true });
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  await sql.unsafe(`
    do $$ begin
      if not exists (select from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
    end $$;
    create table items (id bigint generated always as identity primary key, label text not null);
    alter table items enable row level security;
    create policy "everyone reads" on items for select to authenticated using (true);
    grant select on items to authenticated;
    create publication supabase_realtime for table items;
  `);
  await sql.end();
  server = await startRealtimeTestServer({ databaseUrl: pg.url });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.removeAllChannels()));
  await server?.close();
  await pg?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function insertItem(label: string): Promise<void> {
  const sql = postgres(pg!.url, { max: 1, onnotice: () => {} });
  try {
    await sql`insert into items (label) values (${label})`;
  } finally {
    await sql.end();
  }
}

it('keeps clients connected across a Postgres restart and streams changes again afterwards', async () => {
  const service = await createTestClient(server!.url, { apiKey: LOCAL_SERVICE_ROLE_KEY });
  const user = await createTestClient(server!.url, { token: await signUserToken(crypto.randomUUID()) });
  clients.push(service, user);
  const serviceLog = new EventLog<{ new: Record<string, unknown> }>();
  const userLog = new EventLog<{ new: Record<string, unknown> }>();
  const statuses = new EventLog<string>();
  for (const [client, log] of [[service, serviceLog], [user, userLog]] as const) {
    client.channel('items').on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'items' }, log.push)
      .subscribe((status) => statuses.push(status));
  }
  let subscribed = 0;
  await statuses.waitFor((s) => s === 'SUBSCRIBED' && ++subscribed === 2);
  await insertItem('before');
  await serviceLog.waitFor((e) => e.new.label === 'before');
  await userLog.waitFor((e) => e.new.label === 'before');

  const states = new EventLog<string>();
  const stop = server!.realtime.onStreamStateChange(states.push);
  const port = pg!.port;
  await pg!.stop();
  await states.waitFor((s) => s === 'down');
  pg = await startEmbeddedPostgres({ dataDir, port, persistent: true });
  await states.waitFor((s) => s === 'streaming', 30_000);
  stop();

  await insertItem('after');
  expect((await serviceLog.waitFor((e) => e.new.label === 'after')).new).toMatchObject({ label: 'after' });
  await userLog.waitFor((e) => e.new.label === 'after');
  expect(server!.realtime.connectionCount()).toBe(2);
  expect(statuses.events.filter((s) => s !== 'SUBSCRIBED')).toEqual([]);
}, 90_000);
