// Shared helpers for the connector's end-to-end tests: a real Postgres (fixture), the simulator, the
// connector in-process (startConnector) or as a child process (tsx connector/main.ts).
import '../support/patched-baileys.ts';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { installConsoleGuard } from '../../connector/ops/console-guard.ts';
import { loadConfig, startConnector, type RunningConnector } from '../../connector/index.ts';
import { asUser, createTestDatabase, createUser, type TestDatabase } from '../support/postgres.ts';
import type { TestStack, TestStackOptions } from '../support/stack.ts';

installConsoleGuard();
const simulator = await import('../sim/index.ts');
/** The simulator as WhatsApp behaves today (late 2026): every behaviour of test/sim/behaviours.ts on by default. */
const { startSimulator } = simulator;
const { encodeValue, makeEnvelope } = await import('../../connector/auth-state/index.ts');
type Simulator = Awaited<ReturnType<typeof simulator.startSimulator>>;
export type { Simulator, TestDatabase };

export const TEST_KEY = randomBytes(32).toString('base64');

export function connectorEnv(db: TestDatabase, sim: Simulator, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '4',
    CONNECTOR_REALTIME: 'disabled',
    MEDIA: 'disabled', // media tests turn it on with a local stack (Storage)
    AUTH_STATE_ENCRYPTION_KEY: TEST_KEY,
    HEALTH_PORT: '0',
    HEALTH_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.CONNECTOR_TEST_LOG ?? 'silent',
    // Long enough that a loaded 2-core machine never misses a renewal (a miss closes sockets by design).
    LEASE_TTL_MS: '10000',
    SWEEP_INTERVAL_MS: '100',
    SEND_MIN_INTERVAL_MS: '0',
    SEND_JITTER_MS: '0',
    RECONNECT_BASE_MS: '50',
    RECONNECT_MAX_MS: '500',
    RECONNECT_MAX_ATTEMPTS: '4',
    OUTBOUND_RETRY_BASE_MS: '100',
    OUTBOUND_CLAIM_TTL_MS: '4000',
    ACTIVITY_WRITE_INTERVAL_MS: '1000',
    SHUTDOWN_GRACE_MS: '2000',
    WA_WEBSOCKET_URL: sim.url,
    WA_SIM_ROOT_KEY: sim.rootPublicKeyBase64,
    CONNECTOR_ID: `test-${randomBytes(3).toString('hex')}`,
    ...overrides,
  };
}

/**
 * The connector's own log lines (info and up), parsed: what it decided, as it says so itself. A test waits on a
 * line instead of sleeping past the moment something might have happened.
 */
export class ConnectorLog {
  readonly lines: Record<string, unknown>[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of String(chunk).split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });

  /** Waits for a line with this msg whose fields include `fields` (shallow; nested objects compared by JSON). */
  waitForLine(msg: string, fields: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>> {
    return waitFor(async () => this.lines.find((l) => l.msg === msg
      && Object.entries(fields).every(([k, v]) => JSON.stringify(l[k]) === JSON.stringify(v))), `log line '${msg}' ${JSON.stringify(fields)}`, timeoutMs);
  }
}

export async function startTestConnector(db: TestDatabase, sim: Simulator, overrides: Record<string, string> = {},
  log?: ConnectorLog): Promise<RunningConnector> {
  const config = loadConfig(connectorEnv(db, sim, log ? { LOG_LEVEL: 'info', ...overrides } : overrides));
  const base = { connector: config.connectorId };
  return startConnector(config, { logger: log ? pino({ level: config.logLevel, base }, log.stream) : pino({ level: config.logLevel, base }) });
}

export { startSimulator };
export { scanLikeAUser } from '../sim/testing/scan-like-a-user.ts';

/** Polls `probe` until it returns something other than undefined/null/false. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 45_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function sessionRow(db: TestDatabase, id: string) {
  const [row] = await db.sql`select * from whatsapp_sessions where id = ${id}`;
  return row!;
}

export const waitForStatus = (db: TestDatabase, id: string, status: string, timeoutMs?: number) =>
  waitFor(async () => {
    const row = await sessionRow(db, id);
    return row.status === status ? row : null;
  }, `session ${id} to become ${status}`, timeoutMs);

/**
 * Records every change of a session's status / last_disconnect_code / qr (a test-only trigger in this test's own
 * database). A poll of the row can miss a state the connector leaves within milliseconds (503 → reconnecting →
 * connected clears the code again on a fast reconnect; a QR scanned at once is cleared before the next poll); the
 * history cannot.
 */
export async function recordSessionTransitions(db: TestDatabase): Promise<void> {
  await db.sql.unsafe(`
    create table if not exists public.test_session_transitions (
      seq bigserial primary key, session_id uuid not null, status text not null, last_disconnect_code integer,
      qr text, at timestamptz not null default clock_timestamp());
    -- security definer: users' own inserts fire it too, and (as on a project created today) the API roles
    -- get no privilege on a table nobody granted
    create or replace function public.test_record_session_transition() returns trigger language plpgsql
      security definer set search_path to '' as $$
    begin
      if tg_op = 'INSERT' or new.status is distinct from old.status
         or new.last_disconnect_code is distinct from old.last_disconnect_code or new.qr is distinct from old.qr then
        insert into public.test_session_transitions (session_id, status, last_disconnect_code, qr)
        values (new.id, new.status, new.last_disconnect_code, new.qr);
      end if;
      return new;
    end $$;
    create or replace trigger test_record_session_transition after insert or update on public.whatsapp_sessions
      for each row execute function public.test_record_session_transition();`);
}

export async function sessionTransitions(db: TestDatabase, sessionId: string) {
  return (await db.sql`select status, last_disconnect_code as code, qr, at from test_session_transitions
    where session_id = ${sessionId} order by seq`) as unknown as SessionTransition[];
}

export type SessionTransition = { status: string; code: number | null; qr: string | null; at: Date };

/** Waits until the recorded history of a session (see recordSessionTransitions) satisfies `done`; returns it. */
export const waitForHistory = (db: TestDatabase, sessionId: string, done: (h: SessionTransition[]) => boolean, what: string) =>
  waitFor(async () => {
    const history = await sessionTransitions(db, sessionId);
    return done(history) ? history : null;
  }, what);

export async function randomPhone(): Promise<string> {
  return `+1555${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
}

/** A user who asked to link (request_whatsapp_link): returns the session id. */
export async function requestLink(db: TestDatabase, method: 'qr' | 'pairing_code' = 'qr', phone?: string) {
  const user = await createUser(db.sql);
  const session = await asUser(db.sql, user, async (tx) =>
    (await tx`select * from request_whatsapp_link(${method}, ${phone ?? null})`)[0]);
  return { userId: user, sessionId: session!.id as string };
}

/**
 * A session already linked (sim.provisionLinkedDevice), its credentials stored encrypted, status connected.
 * One transaction: a running connector sweeps every 100 ms, and a session row visible before its creds is
 * resumed as a brand-new link (a QR, never open), which made tests using it time out under load.
 */
export async function createLinkedSession(db: TestDatabase, sim: Simulator, phone?: string, key = TEST_KEY, userId?: string) {
  const number = phone ?? (await randomPhone());
  const device = sim.provisionLinkedDevice({ phone: number, pushName: 'Owner' });
  const user = userId ?? (await createUser(db.sql));
  const envelope = makeEnvelope({ current: Buffer.from(key, 'base64') });
  const sessionId = await db.sql.begin(async (tx) => {
    const [row] = await tx`
      insert into whatsapp_sessions (user_id, status, phone_number, wa_jid, wa_lid, connected_at)
      values (${user}, 'connected', ${device.phone}, ${device.jid}, ${device.lid}, now()) returning id`;
    const id = row!.id as string;
    const values = [{ session_id: id, kind: 'creds', key_id: '', value: encodeValue(envelope, id, 'creds', '', device.creds) }];
    for (const [keyId, pair] of Object.entries(device.preKeys)) {
      values.push({ session_id: id, kind: 'pre-key', key_id: keyId, value: encodeValue(envelope, id, 'pre-key', keyId, pair) });
    }
    await tx`insert into whatsapp_auth_state ${tx(values)}`;
    return id;
  });
  return { sessionId, userId: user, phone: device.phone, jid: device.jid };
}

/** Inserts an outbound row; `dueInMs` makes it not due yet (it stays queued). */
export async function queueText(db: TestDatabase, s: { sessionId: string; userId: string }, recipient: string, text: string, dueInMs = 0) {
  const [row] = await db.sql`insert into outbound_messages (session_id, user_id, recipient, text, next_attempt_at)
    values (${s.sessionId}, ${s.userId}, ${recipient}, ${text}, now() + ${dueInMs} * interval '1 millisecond') returning id, wa_message_id`;
  return { id: row!.id as string, waId: row!.wa_message_id as string };
}

/**
 * For a failed order check: every copy the contact received (time, text, id) and every row to it (status,
 * attempts, last error, claim), so a rare failure says which copies moved and why.
 */
export async function deliveryReport(db: TestDatabase, sim: Simulator, contact: string): Promise<string> {
  const t0 = sim.contact(contact).received()[0]?.at ?? 0;
  const copies = sim.contact(contact).received().map((m) => `+${m.at - t0}ms ${m.text} ${m.id}`);
  const rows = await db.sql<{ text: string; status: string; attempts: number; error_code: string | null; claimed_by: string | null; sent_at: Date | null }[]>`
    select text, status, attempts, error_code, claimed_by, sent_at from outbound_messages where recipient = ${contact} order by created_at, id`;
  return ['received:', ...copies, 'rows:', ...rows.map((r) =>
    `${r.text} ${r.status} attempts=${r.attempts} error=${r.error_code ?? '-'} by=${r.claimed_by ?? '-'} sent=${r.sent_at?.toISOString() ?? '-'}`)].join('\n');
}

export { createTestDatabase, createUser, asUser };

export type LinkedSession = Awaited<ReturnType<typeof createLinkedSession>>;

export interface ConnectorFixture {
  db: TestDatabase;
  sim: Simulator;
  connector: RunningConnector;
  /** the linked sessions asked for, open on the connector */
  sessions: LinkedSession[];
  /** the first of them */
  session: LinkedSession;
  /** only with `stack`: the local stack whose Postgres `db` is */
  stack: TestStack;
}

export interface ConnectorFixtureOptions {
  simulator?: Parameters<typeof startSimulator>[0];
  /** connector env overrides; a function when they depend on the stack or the simulator */
  env?: Record<string, string> | ((fx: ConnectorFixture) => Record<string, string>);
  log?: ConnectorLog;
  /** a local stack (Auth, REST, Storage…) instead of a bare test database */
  stack?: TestStackOptions;
  /** sessions linked before the connector starts (owned by new users): set-up waits until all are open */
  linkedSessions?: number;
  /** runs once the database, the simulator and the linked sessions exist, before the connector starts; sessions it
   *  pushes onto fx.sessions (e.g. owned by a signed-up user of the stack) are waited for like the others */
  before?: (fx: ConnectorFixture) => Promise<unknown>;
}

/**
 * A test file's world: a database (or a local stack), the simulator, one in-process connector and the linked
 * sessions asked for, all open. Call it at the top of the file: it registers the beforeAll that builds them
 * and the afterAll that stops them (connector, simulator, database). The fields are set once beforeAll ran.
 */
export function useConnectorFixture(options: ConnectorFixtureOptions = {}): ConnectorFixture {
  const fx = { sessions: [] as LinkedSession[] } as ConnectorFixture;
  beforeAll(async () => {
    if (options.stack) {
      const { startTestStack } = await import('../support/stack.ts');
      fx.stack = await startTestStack(options.stack);
      fx.db = { url: fx.stack.databaseUrl, sql: fx.stack.sql, drop: async () => {} };
    } else {
      fx.db = await createTestDatabase();
    }
    fx.sim = await startSimulator(options.simulator);
    fx.sessions = await Promise.all(Array.from({ length: options.linkedSessions ?? 0 }, () => createLinkedSession(fx.db, fx.sim)));
    await options.before?.(fx);
    fx.session = fx.sessions[0]!;
    const env = typeof options.env === 'function' ? options.env(fx) : options.env;
    fx.connector = await startTestConnector(fx.db, fx.sim, env, options.log);
    const open = () => fx.sessions.every((s) => fx.connector.sessions().some((c) => c.id === s.sessionId && c.open));
    await waitFor(async () => open(), `${fx.sessions.length} linked sessions open`);
  }, 120_000);
  afterAll(async () => {
    await fx.connector?.stop();
    await fx.sim?.stop();
    await fx.db?.drop();
    await fx.stack?.stop();
  });
  return fx;
}
