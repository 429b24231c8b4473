// What a connector bench or fault run needs: a prepared database (the local stack with Realtime, or just
// embedded Postgres), linked sessions seeded through the connector's own auth-state store, and the
// connector as a child process.
import '../../sim/testing/silence-libsignal.ts';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import postgres from 'postgres';
import { findFreePort } from '../../../stack/db/free-port.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../../stack/db/embedded.ts';
import { prepareDatabase, withDatabase } from '../../../stack/db/prepare.ts';
import { startStack, type RunningStack } from '../../../stack/index.ts';
import { Lru, makeEnvelope, usePostgresAuthState } from '../../../connector/auth-state/index.ts';
import { createStore } from '../../../connector/store/index.ts';
import { pool, waitUntil } from '../harness.ts';
import { spawnNode, stopChild, type NodeChild } from './processes.ts';
import type { Provisioned, SimHost } from './sim-client.ts';

export interface Database {
  url: string;
  sql: postgres.Sql;
  /** the gateway (SUPABASE_URL) when the stack runs; null with bare Postgres */
  stack: RunningStack | null;
  pg: RunningPostgres | null;
  dataDir: string | null;
  stop(): Promise<void>;
}

/**
 * Realtime's quotas for a bench stack: the Free plan's 100 messages/s (stack/realtime/limits.ts) drops
 * postgres_changes once a figure pushes more than ~500 rows per 5 s tick (the connector's doorbell then misses
 * inserts and the figure measures the fallback poll). A bench measures the connector, not a plan: a project
 * with a custom (Enterprise) quota.
 */
export const BENCH_REALTIME_LIMITS = { maxEventsPerSecond: 1_000_000, maxJoinsPerSecond: 10_000, maxConcurrentUsers: 100_000 } as const;

/** The local Supabase stack (embedded Postgres, gateway, Realtime, functions) on free ports. */
export async function startBenchStack(): Promise<Database> {
  const stack = await startStack({ ephemeral: true, port: 0, dbPort: 0, seed: false, logger: pino({ level: 'warn' }), realtimeLimits: BENCH_REALTIME_LIMITS });
  const sql = postgres(stack.databaseUrl, { max: 4, onnotice: () => {} });
  return {
    url: stack.databaseUrl, sql, stack, pg: null, dataDir: null,
    async stop() { await sql.end({ timeout: 2 }); await stack.stop(); },
  };
}

/** Bare embedded Postgres (no gateway): for figures that do not need Realtime or the API. */
export async function startBenchPostgres(opts: { persistent?: boolean } = {}): Promise<Database> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wl-bench-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir, persistent: opts.persistent ?? false });
  await prepareDatabase(pg.url, { seed: false });
  const sql = postgres(pg.url, { max: 4, onnotice: () => {} });
  return {
    url: pg.url, sql, stack: null, pg, dataDir,
    async stop() {
      await sql.end({ timeout: 2 });
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One embedded Postgres, prepared once as a template; every clone() is a fresh database of its own in
 * milliseconds (what test/support/postgres.ts does for vitest). Saves a server start and the migrations
 * per scenario.
 */
export async function startSharedPostgres(): Promise<{ clone(): Promise<Database>; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wl-bench-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir });
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin.unsafe('create database bench_template');
  await prepareDatabase(withDatabase(pg.url, 'bench_template'), { seed: false });
  return {
    async clone() {
      const name = `bench_${randomBytes(5).toString('hex')}`;
      await admin.unsafe(`create database ${name} template bench_template`);
      const url = withDatabase(pg.url, name);
      const sql = postgres(url, { max: 4, onnotice: () => {} });
      return {
        url, sql, stack: null, pg: null, dataDir: null,
        async stop() {
          await sql.end({ timeout: 2 });
          await admin.unsafe(`drop database if exists ${name} with (force)`);
        },
      };
    },
    async stop() {
      await admin.end({ timeout: 2 });
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const ENCRYPTION_KEY = randomBytes(32).toString('base64');

export interface SeededSession { sessionId: string; userId: string; phone: string; contact: string }

/**
 * Creates a user and a session row per provisioned device and writes the device's creds and pre-keys
 * into whatsapp_auth_state through the connector's own store (same envelope, same AAD), under a
 * short-lived lease that is released afterwards. The rows are left `reconnecting` with no lease: the
 * next connector sweep claims them.
 */
export async function seedLinkedSessions(db: Database, devices: Provisioned[], contacts: string[], opts: { wanted?: boolean } = {}): Promise<SeededSession[]> {
  const store = createStore(db.url, 8);
  const deps = { rows: store.authRows, envelope: makeEnvelope({ current: Buffer.from(ENCRYPTION_KEY, 'base64') }), cache: new Lru<unknown>(0) };
  const owner = `bench-seeder-${randomBytes(3).toString('hex')}`;
  try {
    return await pool(devices, 8, async (device, i) => {
      const [user] = await store.sql<{ id: string }[]>`
        insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, email_confirmed_at)
        values (gen_random_uuid(), ${`bench-${randomBytes(6).toString('hex')}@bench.local`}, 'authenticated', 'authenticated', '{}', '{}', now())
        returning id`;
      const [session] = await store.sql<{ id: string }[]>`
        insert into whatsapp_sessions (user_id, status) values (${user!.id}, 'disconnected') returning id`;
      const epoch = await store.sessions.acquireLease(session!.id, owner, 60_000);
      if (epoch === null) throw new Error('seeder could not take the lease of its own new session');
      const fence = { sessionId: session!.id, owner, epoch };
      const auth = await usePostgresAuthState(fence, deps);
      Object.assign(auth.state.creds, device.creds);
      await auth.saveCreds();
      await auth.state.keys.set({ 'pre-key': device.preKeys });
      await store.sessions.releaseLease(fence);
      // a finished link: phone and jids set (without them the connector's housekeeping treats the row as
      // an abandoned link attempt and wipes its credentials)
      await store.sql`update whatsapp_sessions
        set phone_number = ${device.phone}, wa_jid = ${device.jid}, wa_lid = ${device.lid}, push_name = ${device.creds.me?.name ?? null},
            status = ${(opts.wanted ?? true) ? 'reconnecting' : 'disconnected'}
        where id = ${session!.id}`;
      return { sessionId: session!.id, userId: user!.id, phone: device.phone, contact: contacts[i]! };
    });
  } finally {
    await store.close();
  }
}

/** Marks seeded sessions wanted (the connector claims them on its next sweep). */
export async function makeWanted(db: Database, sessions: SeededSession[]): Promise<void> {
  await db.sql`update whatsapp_sessions set status = 'reconnecting' where id = any(${sessions.map((s) => s.sessionId)}::uuid[])`;
}

export interface ConnectorProcess extends NodeChild { id: string; healthPort: number }

export interface ConnectorOptions {
  db: Database;
  sim: SimHost;
  id?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  quiet?: boolean;
}

/** `node --import tsx connector/main.ts` with the simulator and this database; resolves when /health answers. */
export async function startConnectorProcess(opts: ConnectorOptions): Promise<ConnectorProcess> {
  const id = opts.id ?? `bench-connector-${randomBytes(3).toString('hex')}`;
  const healthPort = await findFreePort();
  const env: Record<string, string> = {
    DATABASE_URL: opts.db.url,
    CONNECTOR_ID: id,
    LOG_LEVEL: 'warn',
    HEALTH_PORT: String(healthPort),
    HEALTH_HOST: '127.0.0.1',
    AUTH_STATE_ENCRYPTION_KEY: ENCRYPTION_KEY,
    WA_WEBSOCKET_URL: opts.sim.url,
    WA_SIM_ROOT_KEY: opts.sim.info.rootPublicKeyBase64,
    SEND_MIN_INTERVAL_MS: '0',
    SEND_JITTER_MS: '0',
    MAX_SESSIONS: '5000',
    ...(opts.db.stack
      ? { SUPABASE_URL: opts.db.stack.url, SUPABASE_SECRET_KEY: opts.db.stack.secretKey, CONNECTOR_REALTIME: 'enabled' }
      : { CONNECTOR_REALTIME: 'disabled', MEDIA: 'disabled', SUPABASE_URL: '', SUPABASE_SECRET_KEY: '' }),
    ...opts.env,
  };
  const proc = spawnNode('connector/main.ts', { env, nodeArgs: opts.nodeArgs, quiet: opts.quiet ?? false });
  await waitUntil(async () => {
    if (proc.child.exitCode !== null) throw new Error(`connector exited (${proc.child.exitCode}): ${proc.tail()}`);
    return fetch(`http://127.0.0.1:${healthPort}/health`).then(() => true, () => false);
  }, 60_000, 'connector health port', 100);
  return { ...proc, id, healthPort };
}

export async function stopConnector(proc: NodeChild, graceMs = 20_000): Promise<void> {
  await stopChild(proc, graceMs);
}

/** Sessions of `ids` that are connected and held by `owner` (any owner when null). */
export async function countConnected(db: Database, ids: string[], owner: string | null = null): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from whatsapp_sessions
     where id = any(${ids}::uuid[]) and status = 'connected' and (${owner}::text is null or lease_owner = ${owner})`;
  return row!.n;
}
