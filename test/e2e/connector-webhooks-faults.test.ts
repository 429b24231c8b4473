// Webhook delivery under faults: the connector SIGKILLed in the middle of a request (a child process, as in
// connector-crash), and a CRM endpoint that hangs. A real receiver verifies every signature.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/index.ts';
import {
  connectorEnv, createLinkedSession, createTestDatabase, queueText, randomPhone, startSimulator, startTestConnector, waitFor,
  type Simulator, type TestDatabase,
} from './connector-support.ts';
import { gate, subscribeWebhook, userWithInboundRows, WebhookReceiver, type Answer } from './webhook-receiver.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let db: TestDatabase;
let sim: Simulator;
const receiver = new WebhookReceiver();
const children: ChildProcess[] = [];
const gates: (() => void)[] = [];

// Debug level so that every delivery line is written: the secret must be in none of them.
function spawnConnector(id: string, output: string[]): ChildProcess {
  const env = connectorEnv(db, sim, {
    CONNECTOR_ID: id, LOG_LEVEL: 'debug', WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'enabled', WEBHOOK_POLL_INTERVAL_MS: '50',
    WEBHOOK_TIMEOUT_MS: '3000', WEBHOOK_CLAIM_TTL_MS: '4000', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_RETRY_MAX_MS: '400',
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'connector/main.ts'], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (b: Buffer) => output.push(b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => output.push(b.toString('utf8')));
  children.push(child);
  return child;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({ receiptDelayMs: 20 });
  await receiver.start();
});
afterEach(async () => {
  for (const release of gates.splice(0)) release();
  const alive = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(alive.map((c) => new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGKILL'); })));
});
afterAll(async () => {
  await receiver.stop();
  await sim?.stop();
  await db?.drop();
});

describe('connector: webhooks under faults', () => {
  it('SIGKILL mid-delivery: nothing is lost, the CRM sees the interrupted event again under the same webhook-id', async () => {
    const u = await userWithInboundRows(db, 'kill me');
    const path = `/kill-${u.userId}`;
    // The first request is held open: the connector is killed while it waits for the answer.
    const held = gate();
    gates.push(held.release);
    const answer: Answer = async (n) => { if (n === 1) await held.wait; return 200; };
    const secret = await subscribeWebhook(db, receiver, u.userId, path, answer);
    const events: string[] = [];
    for (let i = 0; i < 5; i++) events.push(await u.write());

    const output: string[] = [];
    const first = spawnConnector('webhook-kill-a', output);
    await waitFor(async () => receiver.open(path) === 1, 'the first request in flight', 60_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const [interrupted] = await db.sql`select id, status, claimed_by, attempts from webhook_events where id = ${events[0]!}`;
    expect(interrupted).toEqual({ id: events[0], status: 'delivering', claimed_by: 'webhook-kill-a', attempts: 0 });
    expect(receiver.seenFor(path).map((r) => r.id)).toEqual([events[0]]);

    spawnConnector('webhook-kill-b', output);
    await waitFor(async () => events.every((id) => receiver.for(path).some((g) => g.id === id)), 'every event at the receiver', 60_000);
    await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up

    const seenIds = receiver.seenFor(path).map((r) => r.id);
    expect(seenIds.filter((id) => id === events[0])).toHaveLength(2);
    for (const id of events.slice(1)) expect(seenIds.filter((x) => x === id)).toHaveLength(1);
    expect(new Set(seenIds)).toEqual(new Set(events));
    expect(receiver.refused).toEqual([]);
    const rows = await db.sql`select id, status, attempts from webhook_events where user_id = ${u.userId} order by id`;
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
    // One user's events go one at a time, oldest first: after the restart they arrive in the order written.
    expect(receiver.for(path).map((g) => g.id)).toEqual(events);

    const log = output.join('');
    expect(log).toMatch(/webhook delivered/);
    expect(log).not.toContain(secret);
    expect(log).not.toContain(secret.slice('whsec_'.length));
  }, 180_000);

  describe('a CRM endpoint that hangs', () => {
    let connector: RunningConnector;
    afterEach(async () => {
      for (const release of gates.splice(0)) release();
      await connector?.stop();
    });

    it('times out, is retried, and holds back neither the user\'s sends nor other users\' deliveries', async () => {
      connector = await startTestConnector(db, sim, {
        WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'enabled', WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_CONCURRENCY: '2',
        WEBHOOK_TIMEOUT_MS: '5000', WEBHOOK_CLAIM_TTL_MS: '8000', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_RETRY_MAX_MS: '400',
      });
      const slow = await createLinkedSession(db, sim);
      const slowPath = `/slow-${slow.userId}`;
      const hang = gate();
      gates.push(hang.release);
      await subscribeWebhook(db, receiver, slow.userId, slowPath, async () => { await hang.wait; return 200; });
      await waitFor(async () => connector.sessions().some((c) => c.id === slow.sessionId && c.open), 'the slow user\'s session open');

      // Three sends, each a message.status event for the hanging endpoint: the sends are not held back.
      const contact = sim.contact(await randomPhone());
      const sent = [];
      for (let i = 0; i < 3; i++) sent.push(await queueText(db, slow, contact.phone, `while the CRM hangs ${i}`));
      for (const m of sent) await contact.waitForMessage({ id: m.waId }, { timeoutMs: 45_000 });
      await waitFor(async () => receiver.open(slowPath) === 1, 'one request of the slow user in flight');
      expect(receiver.for(slowPath)).toEqual([]);

      // Another user's event goes out while the slow user's request still hangs (2 delivery slots, and the
      // slow user has several due events: without per-user fairness both slots would be his).
      const fast = await userWithInboundRows(db, 'not held back');
      const fastPath = `/fast-${fast.userId}`;
      await subscribeWebhook(db, receiver, fast.userId, fastPath);
      const fastEvent = await fast.write();
      await waitFor(async () => receiver.for(fastPath).length === 1, 'the other user\'s event');
      expect(receiver.open(slowPath)).toBe(1);
      expect(receiver.for(fastPath)[0]!.id).toBe(fastEvent);

      // The hanging attempt ends at the timeout: logged without a status code, retried later.
      const [attempt] = await waitFor(async () => {
        const r = await db.sql`select d.status_code, d.error, e.status from webhook_deliveries d join webhook_events e on e.id = d.event_id
          where d.user_id = ${slow.userId} order by d.id limit 1`;
        return r.length ? r : null;
      }, 'the timed-out attempt in the log', 30_000);
      expect(attempt!.status_code).toBeNull();
      expect(attempt!.error).toBe('no answer within 5000 ms');
      expect(['pending', 'delivering']).toContain(attempt!.status);

      // Once the CRM answers again, every event arrives.
      hang.release();
      const statusEvents = await db.sql`select id from webhook_events where user_id = ${slow.userId}`;
      expect(statusEvents.length).toBeGreaterThanOrEqual(3);
      await waitFor(async () => statusEvents.every((e) => receiver.for(slowPath).some((g) => g.id === e.id)),
        'the slow user\'s events after the CRM recovered', 60_000);
    }, 180_000);
  });
});
