// The connector as a child process (tsx connector/main.ts), killed with SIGKILL in the middle of a batch.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectorEnv, createLinkedSession, deliveryReport, createTestDatabase, queueText, randomPhone, startSimulator, waitFor,
  type Simulator, type TestDatabase,
} from './connector-support.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let db: TestDatabase;
let sim: Simulator;
const children: ChildProcess[] = [];

function spawnConnector(id: string, extra: Record<string, string> = {}): ChildProcess {
  const env = connectorEnv(db, sim, {
    CONNECTOR_ID: id, LEASE_TTL_MS: '4000', OUTBOUND_CLAIM_TTL_MS: '3000', SEND_MIN_INTERVAL_MS: '30', SEND_JITTER_MS: '20',
    LOG_LEVEL: process.env.CONNECTOR_TEST_LOG ?? 'warn', ...extra,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'connector/main.ts'], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator();
});
// A failed test must not leave a connector behind that takes the next test's sessions.
afterEach(async () => {
  const alive = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(alive.map((c) => new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGKILL'); })));
  await db.sql`update whatsapp_sessions set status = 'disconnected', lease_owner = null, lease_expires_at = null
    where status in ('connected', 'reconnecting', 'connecting')`;
});
afterAll(async () => {
  await sim.stop();
  await db.drop();
});

const openCount = async (owner: string, ids: string[]) =>
  (await db.sql`select count(*)::int as n from whatsapp_sessions where id = any(${ids}) and lease_owner = ${owner} and status = 'connected'`)[0]!.n as number;

describe('connector: crash safety', () => {
  // At-least-once with a stable WhatsApp id: a message whose frame left just before the kill, but whose
  // 'sent' was never committed, is sent again under the SAME id (WhatsApp clients drop the repeat). The
  // connector re-reads such rows after the offline receipts arrive (the simulator queues receipts for an
  // offline sender, as WhatsApp does), so at most the one message in flight per session can arrive twice.
  it('SIGKILL in the middle of a batch, then a restart: none lost, only an in-flight one may repeat (same id)', async () => {
    const sessions = [await createLinkedSession(db, sim), await createLinkedSession(db, sim)];
    const ids = sessions.map((s) => s.sessionId);
    // 150 ms between sends: 40 take ≥ 6 s per session, so the kill after the 8th lands mid-batch however slow
    // this test's polling is (at 30 ms a loaded box delivered all 40 before the kill).
    const first = spawnConnector('crash-a', { SEND_MIN_INTERVAL_MS: '150' });
    await waitFor(async () => (await openCount('crash-a', ids)) === 2, 'first connector connected', 60_000);

    const contacts = [await randomPhone(), await randomPhone()];
    const queued: { waId: string; contact: string }[] = [];
    for (let i = 0; i < 40; i++) {
      for (const [n, s] of sessions.entries()) queued.push({ ...(await queueText(db, s, contacts[n]!, `crash ${i}`)), contact: contacts[n]! });
    }
    await waitFor(async () => contacts.every((c) => sim.contact(c).received().length >= 8), 'part of the batch delivered', 60_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const [{ killedAt }] = await db.sql`select now() as "killedAt"` as unknown as [{ killedAt: Date }];
    const deliveredBeforeKill = contacts.map((c) => sim.contact(c).received().length);
    expect(deliveredBeforeKill.some((n) => n < 40)).toBe(true);

    const second = spawnConnector('crash-b');
    await waitFor(async () => queued.every((q) => sim.contact(q.contact).receivedCount(q.waId) >= 1), 'every message delivered', 90_000);
    for (const [n, c] of contacts.entries()) {
      const counts = queued.filter((q) => q.contact === c).map((q) => sim.contact(c).receivedCount(q.waId));
      expect(counts.every((k) => k >= 1 && k <= 2)).toBe(true);
      expect(counts.filter((k) => k === 2).length, `repeats for session ${n}`).toBeLessThanOrEqual(1);
      const texts = sim.contact(c).received().map((m) => m.text);
      const inOrder = JSON.stringify([...new Set(texts)]) === JSON.stringify(Array.from({ length: 40 }, (_, i) => `crash ${i}`));
      expect([...new Set(texts)], inOrder ? undefined : await deliveryReport(db, sim, c)).toEqual(Array.from({ length: 40 }, (_, i) => `crash ${i}`));
    }
    // Every row ends 'sent' or later; receipts produced while no connector was up arrive at the next login.
    await waitFor(async () => {
      const rows = await db.sql`select 1 from outbound_messages where session_id = any(${ids}) and status not in ('sent', 'delivered', 'read')`;
      return rows.length === 0;
    }, 'every row sent', 30_000);
    await waitFor(async () => (await db.sql`select 1 from outbound_messages where session_id = any(${ids})
      and status = 'sent' and sent_at > ${killedAt}`).length === 0, 'receipts for everything sent after the restart');
    second.kill('SIGTERM');
    await new Promise((resolve) => second.once('exit', resolve));
    // Released but still 'connected' = wanted: park them so the next test's processes do not resume them.
    await db.sql`update whatsapp_sessions set status = 'disconnected' where id = any(${ids})`;
  }, 180_000);

  it('CONNECTOR_PROCESSES=2 splits the sessions over two processes; SIGTERM releases every lease without logging out', async () => {
    const sessions = await Promise.all(Array.from({ length: 4 }, () => createLinkedSession(db, sim)));
    const ids = sessions.map((s) => s.sessionId);
    const parent = spawnConnector('multi', { CONNECTOR_PROCESSES: '2', MAX_SESSIONS: '2' });
    await waitFor(async () => (await openCount('multi-0', ids)) === 2 && (await openCount('multi-1', ids)) === 2,
      'two sessions in each process', 60_000);
    const contact = await randomPhone();
    const sent = await Promise.all(sessions.map((s, i) => queueText(db, s, contact, `from process ${i}`)));
    await sim.contact(contact).waitForCount(4, { timeoutMs: 30_000 });
    parent.kill('SIGTERM');
    const code = await new Promise((resolve) => parent.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    const rows = await db.sql`select status, lease_owner from whatsapp_sessions where id = any(${ids})`;
    expect(rows.every((r) => r.status === 'connected' && r.lease_owner === null)).toBe(true);
    expect(sim.devices().filter((d) => sessions.some((s) => s.jid === d.jid) && d.loggedOut)).toHaveLength(0);
    expect(sent.every((m) => sim.contact(contact).receivedCount(m.waId) === 1)).toBe(true);
  }, 120_000);
});
