// Measures commit -> supabase-js event latency of the local realtime server.
//   npx tsx stack/realtime/measure-latency.ts            (own embedded Postgres, prepared like the tests)
//   DATABASE_URL=postgres://… npx tsx stack/realtime/measure-latency.ts   (an already prepared database)
// Prints p50/p95/p99/max for: service_role INSERT doorbell (sequential), the same under a burst, and a user's
// RLS-checked UPDATE. Not a test: numbers depend on the machine.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { prepareDatabase } from '../db/prepare.ts';
import { LOCAL_SERVICE_ROLE_KEY } from '../keys.ts';
import { createTestClient, signUserToken, startRealtimeTestServer } from './test-support.ts';

const external = process.env.DATABASE_URL;
const pg = external ? null : await startEmbeddedPostgres({ dataDir: await mkdtemp(join(tmpdir(), 'wl-rt-latency-')) });
const url = external ?? pg!.url;
if (!external) await prepareDatabase(url, { seed: false });
// The embedded test Postgres runs with synchronous_commit=off: commits reach the WAL stream only when the WAL
// writer flushes (wal_writer_delay, 200 ms by default). SYNC_COMMIT=on measures Supabase's setting instead.
const synchronousCommit = process.env.SYNC_COMMIT;
const sql = postgres(url, { max: 8, onnotice: () => {}, ...(synchronousCommit ? { connection: { synchronous_commit: synchronousCommit } } : {}) });
// WAL_WRITER_DELAY=10ms (own embedded Postgres only) shows what a shorter WAL writer cycle does to async commits.
if (!external && process.env.WAL_WRITER_DELAY) {
  await sql.unsafe(`alter system set wal_writer_delay = '${process.env.WAL_WRITER_DELAY.replace(/[^0-9a-z]/g, '')}'`);
  await sql`select pg_reload_conf()`;
}
const [current] = await sql<{ setting: string; delay: string }[]>`
  select current_setting('synchronous_commit') as setting, current_setting('wal_writer_delay') as delay`;
console.log(`writers run with synchronous_commit=${current!.setting}, wal_writer_delay=${current!.delay}`);
const server = await startRealtimeTestServer({ databaseUrl: url });

const [user] = await sql<{ id: string }[]>`
  insert into auth.users (id, email, aud, role) values (gen_random_uuid(), ${`latency-${Date.now()}@test.local`}, 'authenticated', 'authenticated')
  returning id`;
const [session] = await sql<{ id: string }[]>`insert into whatsapp_sessions (user_id) values (${user!.id}) returning id`;

const arrivals = new Map<string, number>();
const waiters = new Map<string, (() => void)[]>();
function arrived(key: string): void {
  arrivals.set(key, performance.now());
  for (const resolve of waiters.get(key) ?? []) resolve();
  waiters.delete(key);
}
function waitArrival(key: string): Promise<void> {
  if (arrivals.has(key)) return Promise.resolve();
  return new Promise((resolve) => waiters.set(key, [...(waiters.get(key) ?? []), resolve]));
}

const service = await createTestClient(server.url, { apiKey: LOCAL_SERVICE_ROLE_KEY });
const owner = await createTestClient(server.url, { token: await signUserToken(user!.id) });
await new Promise<void>((resolve) => service.channel('doorbell')
  .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'outbound_messages' }, (e) => arrived(String(e.new.text)))
  .subscribe((status) => status === 'SUBSCRIBED' && resolve()));
await new Promise<void>((resolve) => owner.channel('session')
  .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'whatsapp_sessions', filter: `id=eq.${session!.id}` },
    (e) => arrived(String(e.new.push_name)))
  .subscribe((status) => status === 'SUBSCRIBED' && resolve()));

function report(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  console.log(`${name}: n=${sorted.length} p50=${at(0.5)}ms p95=${at(0.95)}ms p99=${at(0.99)}ms max=${sorted.at(-1)!.toFixed(1)}ms`);
}

async function insertMessage(text: string): Promise<number> {
  await sql`insert into outbound_messages (session_id, user_id, recipient, text) values (${session!.id}, ${user!.id}, '+15550001111', ${text})`;
  return performance.now();
}

// 1. Sequential doorbells (service_role, no RLS check).
const sequential: number[] = [];
for (let i = 0; i < 300; i++) {
  const key = `seq-${i}`;
  const committed = await insertMessage(key);
  await waitArrival(key);
  sequential.push(arrivals.get(key)! - committed);
}
report('service_role INSERT, sequential (commit acknowledged -> event)', sequential);

// 2. Burst: 4 writers, 4000 single-row transactions.
const burst: number[] = [];
const started = performance.now();
await Promise.all([0, 1, 2, 3].map(async (writer) => {
  for (let i = 0; i < 1000; i++) {
    const key = `burst-${writer}-${i}`;
    const committed = await insertMessage(key);
    void waitArrival(key).then(() => burst.push(arrivals.get(key)! - committed));
  }
}));
await Promise.all([0, 1, 2, 3].flatMap((writer) => Array.from({ length: 1000 }, (_, i) => waitArrival(`burst-${writer}-${i}`))));
const seconds = (performance.now() - started) / 1000;
report(`service_role INSERT, burst of 4000 commits (${(4000 / seconds).toFixed(0)} commits/s end to end)`, burst);

// 3. A user's RLS-checked UPDATE.
const rls: number[] = [];
for (let i = 0; i < 200; i++) {
  const key = `rls-${i}`;
  await sql`update whatsapp_sessions set push_name = ${key} where id = ${session!.id}`;
  const committed = performance.now();
  await waitArrival(key);
  rls.push(arrivals.get(key)! - committed);
}
report('authenticated UPDATE with RLS re-check, sequential', rls);

// 4. One transaction inserting 20000 rows: raw decode + fan-out throughput of one stream.
const bulkStart = performance.now();
await sql`insert into outbound_messages (session_id, user_id, recipient, text)
  select ${session!.id}, ${user!.id}, '+15550001111', 'bulk-' || i from generate_series(1, 20000) i`;
const bulkCommitted = performance.now();
await waitArrival('bulk-20000');
const bulkDone = performance.now();
console.log(`service_role INSERT, one 20000-row transaction: commit took ${(bulkCommitted - bulkStart).toFixed(0)}ms, ` +
  `last event ${(bulkDone - bulkCommitted).toFixed(0)}ms after commit (${(20000 / ((bulkDone - bulkCommitted) / 1000)).toFixed(0)} events/s)`);

await service.removeAllChannels();
await owner.removeAllChannels();
await server.close();
await sql.end();
await pg?.stop();
process.exit(0);
