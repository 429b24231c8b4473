import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLinkedSession, createTestDatabase, startSimulator, startTestConnector, waitFor,
  type Simulator, type TestDatabase,
} from './connector-support.ts';
import type { RunningConnector } from '../../connector/index.ts';

let db: TestDatabase;
let sim: Simulator;
const connectors: RunningConnector[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator();
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.stop()));
  await sim.stop();
  await db.drop();
});

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
});
