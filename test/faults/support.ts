// Shared pieces of the fault scenarios: a linked fleet (simulator in its own process, sessions seeded
// through the connector's auth-state store), outbound load, and the audit that counts what was lost or
// duplicated (by WhatsApp message id, at the recipients in the simulator).
import { randomBytes } from 'node:crypto';
import { sleep, waitUntil } from '../bench/harness.ts';
import { seedLinkedSessions, startConnectorProcess, type ConnectorProcess, type Database, type SeededSession } from '../bench/support/environment.ts';
import { phones, SimHost } from '../bench/support/sim-client.ts';

export interface ScenarioResult {
  name: string;
  load: string;
  faults: string;
  lost: number;
  duplicates: number;
  /** same-id copies on the wire (reported, not a failure: the recipient shows one message per id) */
  resent?: number;
  /** other failed checks (a session never recovered, a 5xx, a QR, a 440 ping-pong …) */
  problems: string[];
  seconds?: number;
  /** --hog: the busy processes beside the scenario and the 1-minute load average seen */
  hog?: { processes: number; load: { mean: number; max: number } };
  details?: unknown;
}

export interface ScenarioContext {
  ci: boolean;
  log(message: string): void;
  /** a fresh prepared database (a clone on the suite's shared Postgres) */
  database(): Promise<Database>;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** Connector settings that keep fault runs short: short leases and claims, frequent sweeps, pacing off. */
export const FAST_CONNECTOR_ENV = {
  LEASE_TTL_MS: '3000',
  OUTBOUND_CLAIM_TTL_MS: '5000',
  COMMAND_CLAIM_TTL_MS: '5000',
  SWEEP_INTERVAL_MS: '200',
  RECONNECT_BASE_MS: '200',
  RECONNECT_MAX_MS: '3000',
  RECONNECT_MAX_ATTEMPTS: '1000',
  OUTBOUND_RETRY_BASE_MS: '200',
  OUTBOUND_MAX_ATTEMPTS: '50',
  SHUTDOWN_GRACE_MS: '2000',
};

let prefixSeq = 800 + Math.floor(Math.random() * 50);

export async function linkedFleet(db: Database, sim: SimHost, n: number, receipts: 'none' | 'delivered' | 'read' = 'delivered'): Promise<SeededSession[]> {
  const p = prefixSeq;
  prefixSeq += 2;
  const contacts = phones(p + 1, n);
  await sim.contacts(contacts, receipts);
  return seedLinkedSessions(db, await sim.provision(phones(p, n)), contacts);
}

export function connector(db: Database, sim: SimHost, env: Record<string, string> = {}): Promise<ConnectorProcess> {
  return startConnectorProcess({ db, sim, env: { ...FAST_CONNECTOR_ENV, ...env }, id: `fault-${randomBytes(3).toString('hex')}`, quiet: true });
}

/** Inserts `total` rows spread round-robin over the sessions, in batches of `batch`; returns their ids. */
export async function queueMessages(db: Database, sessions: SeededSession[], total: number, tag: string): Promise<void> {
  const batch = 500;
  for (let start = 0; start < total; start += batch) {
    const s: string[] = [], u: string[] = [], r: string[] = [], t: string[] = [];
    for (let i = start; i < Math.min(total, start + batch); i++) {
      const x = sessions[i % sessions.length]!;
      s.push(x.sessionId); u.push(x.userId); r.push(x.contact); t.push(`${tag} ${i}`);
    }
    await db.sql`insert into outbound_messages (session_id, user_id, recipient, text)
      select * from unnest(${s}::uuid[], ${u}::uuid[], ${r}::text[], ${t}::text[])`;
  }
}

export async function statusCounts(db: Database, sessions: SeededSession[]): Promise<Record<string, number>> {
  const rows = await db.sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from outbound_messages where session_id = any(${sessions.map((s) => s.sessionId)}::uuid[]) group by status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Waits until no row of these sessions is queued or sending (or the timeout). */
export async function waitDrained(db: Database, sessions: SeededSession[], timeoutMs: number): Promise<boolean> {
  return waitUntil(async () => {
    const c = await statusCounts(db, sessions);
    return (c.queued ?? 0) + (c.sending ?? 0) === 0;
  }, timeoutMs, 'outbound drained', 500).then(() => true, () => false);
}

/**
 * Lost = a row not sent (or later), or sent but never received. Duplicates = messages a recipient would show
 * twice: its text arrived under more than one WhatsApp id (a phone keeps one message per id, which is why the
 * id derives from the row id). Resent = extra copies of the same id on the wire (after a crash or a dropped
 * socket the connector may not know WhatsApp had it): reported, harmless to the recipient.
 */
export interface OutboundAudit {
  rows: number; lost: number; duplicates: number; resent: number; notSent: number; neverArrived: number;
  neverArrivedIds: string[]; counts: Record<string, number>;
}

export async function auditOutbound(db: Database, sim: SimHost, sessions: SeededSession[]): Promise<OutboundAudit> {
  const rows = await db.sql<{ wa_message_id: string; status: string }[]>`
    select wa_message_id, status from outbound_messages where session_id = any(${sessions.map((s) => s.sessionId)}::uuid[])`;
  const stamps: { count: number; idsForText: number }[] = [];
  for (let i = 0; i < rows.length; i += 2000) stamps.push(...(await sim.stamps(rows.slice(i, i + 2000).map((r) => r.wa_message_id))));
  let notSent = 0, neverArrived = 0, duplicates = 0, resent = 0;
  const neverArrivedIds: string[] = [];
  rows.forEach((r, i) => {
    const { count, idsForText } = stamps[i]!;
    if (!['sent', 'delivered', 'read'].includes(r.status)) notSent++;
    else if (count === 0) neverArrived++;
    if (count === 0 && neverArrivedIds.length < 20) neverArrivedIds.push(r.wa_message_id);
    if (count > 1) resent += count - 1;
    if (idsForText > 1) duplicates += idsForText - 1;
  });
  return { rows: rows.length, lost: notSent + neverArrived, duplicates, resent, notSent, neverArrived, neverArrivedIds, counts: await statusCounts(db, sessions) };
}

export async function sessionStatuses(db: Database, sessions: SeededSession[]): Promise<Record<string, number>> {
  const rows = await db.sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from whatsapp_sessions where id = any(${sessions.map((s) => s.sessionId)}::uuid[]) group by status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function waitAllConnected(db: Database, sessions: SeededSession[], timeoutMs: number): Promise<boolean> {
  return waitUntil(async () => (await sessionStatuses(db, sessions)).connected === sessions.length, timeoutMs, 'all connected', 250)
    .then(() => true, () => false);
}

export const randomBetween = (min: number, max: number) => min + Math.random() * (max - min);
export { sleep };
