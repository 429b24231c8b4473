// Own database: expire_idle_sessions is global, so its short idle limit must not touch other files' rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLinkedSession, createTestDatabase, queueText, randomPhone, startSimulator, startTestConnector, waitFor, waitForStatus,
  type Simulator, type TestDatabase,
} from './connector-support.ts';
import type { RunningConnector } from '../../connector/index.ts';

let db: TestDatabase;
let sim: Simulator;
let connector: RunningConnector;
beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator();
});
afterAll(async () => {
  await connector?.stop();
  await sim.stop();
  await db.drop();
});

describe('connector: idle expiry', () => {
  it('expires a session idle longer than SESSION_IDLE_DAYS: socket closed, credentials wiped, unsent rows failed', async () => {
    const s = await createLinkedSession(db, sim);
    // 0.0002 days = 17 s without activity; the expiry sweep runs every second. The idle time is counted from
    // once the session is open: until then its last activity lies ahead, or a connector slow to start (a
    // loaded machine) would expire it before it ever opened, which is a different case.
    await db.sql`update whatsapp_sessions set last_activity_at = now() + interval '10 minutes' where id = ${s.sessionId}`;
    connector = await startTestConnector(db, sim, { SESSION_IDLE_DAYS: '0.0002', EXPIRE_INTERVAL_MS: '1000', ACTIVITY_WRITE_INTERVAL_MS: '60000' });
    await waitFor(async () => connector.sessions().find((x) => x.id === s.sessionId && x.open), 'session open');
    await db.sql`update whatsapp_sessions set last_activity_at = now() where id = ${s.sessionId}`;
    const pending = await queueText(db, s, await randomPhone(), 'too late', 3_600_000);
    const row = await waitForStatus(db, s.sessionId, 'expired', 60_000);
    expect(row.last_error).toMatch(/^expired: no activity/);
    await waitFor(async () => !connector.sessions().find((x) => x.id === s.sessionId), 'the socket closed');
    expect(await db.sql`select 1 from whatsapp_auth_state where session_id = ${s.sessionId}`).toHaveLength(0);
    expect((await db.sql`select status, error_code from outbound_messages where id = ${pending.id}`)[0]).toEqual({ status: 'failed', error_code: 'session_expired' });
    expect(sim.devices().find((d) => d.jid === s.jid)?.loggedOut).toBe(false);
  });
});
