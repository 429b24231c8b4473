import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLinkedSession, createTestDatabase, sessionRow, startSimulator, startTestConnector, waitFor,
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

describe('connector: ownership', () => {
  it('two connectors on one database never both open a session, and the survivor takes over on shutdown', async () => {
    const sessions = await Promise.all(Array.from({ length: 4 }, () => createLinkedSession(db, sim)));
    const a = await startTestConnector(db, sim, { MAX_SESSIONS: '2' });
    const b = await startTestConnector(db, sim);
    connectors.push(a, b);
    let overlaps = 0;
    const watch = setInterval(() => {
      const inA = new Set(a.sessions().map((s) => s.id));
      overlaps += b.sessions().filter((s) => inA.has(s.id)).length;
    }, 10);
    try {
      await waitFor(async () => a.sessions().filter((s) => s.open).length + b.sessions().filter((s) => s.open).length === 4, 'four sessions open');
      expect(a.sessions().length).toBe(2);
      await a.stop();
      await waitFor(async () => b.sessions().filter((s) => s.open).length === 4, 'the survivor holds all four');
    } finally {
      clearInterval(watch);
    }
    expect(overlaps).toBe(0);
    for (const s of sessions) {
      const row = await sessionRow(db, s.sessionId);
      expect(row.status).toBe('connected');
      expect(row.last_disconnect_code).not.toBe(440);
    }
    expect(sim.devices().filter((d) => d.connected)).toHaveLength(4);
  });

  it('a connector that loses a lease closes that socket at once and writes nothing more', async () => {
    const c = connectors[1]!;
    const s = await createLinkedSession(db, sim);
    await waitFor(async () => c.sessions().find((x) => x.id === s.sessionId && x.open), 'session open');
    // Another owner takes the lease (as if ours had expired during a stall).
    await db.sql`update whatsapp_sessions set lease_owner = 'intruder', lease_epoch = lease_epoch + 1,
      lease_expires_at = now() + interval '1 minute' where id = ${s.sessionId}`;
    await waitFor(async () => !c.sessions().find((x) => x.id === s.sessionId), 'the socket closed');
    const row = await sessionRow(db, s.sessionId);
    expect(row).toMatchObject({ lease_owner: 'intruder', status: 'connected' });
    await waitFor(async () => !sim.devices().find((d) => d.jid === s.jid)?.connected, 'the simulator saw the socket go');
  });
});

describe('connector: database stalls', () => {
  it('closes its sockets before its leases can expire when renewals stop, then resumes the sessions', async () => {
    await Promise.all(connectors.map((x) => x.stop()));
    // The sockets close between ttl/2 and 2·ttl/3 after the last renewal and the lease expires at ttl: a
    // 6 s TTL leaves 2 s for a starved event loop (1.5 s left 0.5 s, a race on a loaded box).
    const c = await startTestConnector(db, sim, { LEASE_TTL_MS: '6000' });
    connectors.push(c);
    const s = await createLinkedSession(db, sim);
    await waitFor(async () => c.sessions().find((x) => x.id === s.sessionId && x.open), 'session open');
    // Hold the connector's heartbeat row lock: the heartbeat blocks (a stalled database, as the connector sees it).
    // The lease lives while its own expiry or its owner's heartbeat has not passed.
    await waitFor(async () => (await db.sql`select 1 from connector_heartbeats h join whatsapp_sessions s on s.lease_owner = h.owner
      where s.id = ${s.sessionId}`).length === 1, 'the first heartbeat');
    const locker = db.sql.reserve();
    const conn = await locker;
    await conn`begin`;
    await conn`select 1 from connector_heartbeats h join whatsapp_sessions s on s.lease_owner = h.owner
      where s.id = ${s.sessionId} for update of h`;
    const [{ expires }] = await db.sql`select greatest(s.lease_expires_at, h.expires_at) as expires
      from whatsapp_sessions s join connector_heartbeats h on h.owner = s.lease_owner where s.id = ${s.sessionId}` as unknown as [{ expires: Date }];
    await waitFor(async () => !c.sessions().find((x) => x.id === s.sessionId), 'the socket closed', 10_000);
    const [{ now }] = await db.sql`select now() as now` as unknown as [{ now: Date }];
    expect(now.getTime()).toBeLessThan(expires.getTime());
    await conn`rollback`;
    conn.release();
    await waitFor(async () => c.sessions().find((x) => x.id === s.sessionId && x.open), 'resumed after the stall', 20_000);
  });
});
