import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asUser, createLinkedSession, createTestDatabase, startSimulator, startTestConnector, waitFor,
  type Simulator, type TestDatabase,
} from './connector-support.ts';
import type { RunningConnector } from '../../connector/index.ts';
import { subscribeWebhook, WebhookReceiver } from './webhook-receiver.ts';

let db: TestDatabase;
let sim: Simulator;
const connectors: RunningConnector[] = [];
const receiver = new WebhookReceiver();
beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator();
  await receiver.start();
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.stop()));
  await receiver.stop();
  await sim.stop();
  await db.drop();
});
const WEBHOOKS = { WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'enabled', WEBHOOK_POLL_INTERVAL_MS: '50' };

const leasesOf = async (owner: string, ids: string[]) => {
  const [row] = await db.sql`select count(*)::int as n from whatsapp_sessions where lease_owner = ${owner} and id = any(${ids}::uuid[])`;
  return row!.n as number;
};

describe('connector: resume', () => {
  it('claims wanted sessions several at a time but never more than MAX_SESSIONS, holds no lease without a socket, and a second connector resumes the rest', async () => {
    const sessions = await Promise.all(Array.from({ length: 7 }, () => createLinkedSession(db, sim)));
    const ids = sessions.map((s) => s.sessionId);
    const a = await startTestConnector(db, sim, { MAX_SESSIONS: '5', RESUME_CONCURRENCY: '3' });
    connectors.push(a);
    await waitFor(async () => a.sessions().filter((s) => s.open).length === 5, 'five sessions open');
    await a.sweep();
    expect(a.sessions()).toHaveLength(5);
    expect(await leasesOf(a.id, ids)).toBe(5);
    const b = await startTestConnector(db, sim, { RESUME_CONCURRENCY: '3' });
    connectors.push(b);
    await waitFor(async () => b.sessions().filter((s) => s.open).length === 2, 'the other two open on the second connector');
    expect(await leasesOf(b.id, ids)).toBe(2);
    const inA = new Set(a.sessions().map((s) => s.id));
    expect(b.sessions().filter((s) => inA.has(s.id))).toHaveLength(0);
    await a.stop();
    await waitFor(async () => b.sessions().filter((s) => s.open).length === 7, 'the second connector resumes all seven');
    const rows = await db.sql`select status, lease_owner from whatsapp_sessions where id = any(${ids}::uuid[])`;
    expect(rows.every((r) => r.status === 'connected' && r.lease_owner === b.id)).toBe(true);
  });

  it('a session resumed by another connector after a restart is no session.status change for the CRM: connected before, connected after, no event', async () => {
    await Promise.all(connectors.splice(0).map((c) => c.stop())); // the other test's: this session is for a and b
    const s = await createLinkedSession(db, sim);
    const path = `/resume-${s.userId}`;
    await subscribeWebhook(db, receiver, s.userId, path);
    const a = await startTestConnector(db, sim, WEBHOOKS);
    connectors.push(a);
    await waitFor(async () => a.sessions().some((c) => c.id === s.sessionId && c.open), 'the session open on the first connector');
    const statuses = () => receiver.for(path).filter((g) => g.type === 'session.status')
      .map((g) => `${(g.data.session as { previous_status: string }).previous_status}->${(g.data.session as { status: string }).status}`);
    const drained = async () => (await db.sql`select count(*)::int as n from webhook_events where user_id = ${s.userId} and status <> 'delivered'`)[0]!.n === 0;
    await waitFor(drained, 'every event of the first connection at the receiver');
    const before = statuses();
    await a.stop();
    const b = await startTestConnector(db, sim, WEBHOOKS);
    connectors.push(b);
    await waitFor(async () => b.sessions().some((c) => c.id === s.sessionId && c.open), 'the session resumed on the second connector');
    // a later real change: the resume's events, if any, are in the outbox before it
    await asUser(db.sql, s.userId, (tx) => tx`select request_session_command(${s.sessionId}, 'disconnect')`);
    await waitFor(async () => statuses().some((x) => x.endsWith('->disconnected')) && await drained(), 'the disconnect at the receiver');
    // one event per real change: the disconnect; nothing for the resume (before the fix: connected->reconnecting,
    // reconnecting->connected on each connector's start)
    expect(statuses().slice(0, before.length)).toEqual(before);
    expect(statuses().slice(before.length)).toEqual(['connected->disconnected']);
  }, 120_000);
});
