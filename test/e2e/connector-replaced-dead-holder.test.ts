// Issue 16 item 5, the gap d4f136d left: a newer link replaces a session whose holder died with a live lease (a
// crash, SIGKILL, a lost database). The holder would have logged the device out and wiped the credentials
// (finish_replaced_session); a dead one never does, and the replacing transaction leaves a held session to its
// holder. Once that lease has expired, the housekeeping of any connector wipes them and the row says so.
import { describe, expect, it } from 'vitest';
import {
  useConnectorFixture, createLinkedSession, requestLink, scanLikeAUser, sessionRow, waitFor, waitForStatus,
} from './connector-support.ts';

const fx = useConnectorFixture({ env: { EXPIRE_INTERVAL_MS: '1000' } });

const credentialRows = async (sessionId: string) =>
  (await fx.db.sql`select count(*)::int as n from whatsapp_auth_state where session_id = ${sessionId}`)[0]!.n as number;

describe('connector: a replaced session whose holder died', () => {
  it('keeps its credentials while the dead holder\'s lease is live, and loses them once it expired, with the reason', async () => {
    const older = await createLinkedSession(fx.db, fx.sim);
    await waitFor(async () => fx.connector.sessions().find((s) => s.id === older.sessionId && s.open), 'the older session open');
    // The holder dies: its lease now belongs to a connector that never renews it nor comes back (what a crash leaves).
    // This connector sees the lease gone and closes its socket without a write.
    await fx.db.sql`update whatsapp_sessions set lease_owner = 'crashed-connector', lease_epoch = lease_epoch + 1,
      lease_expires_at = now() + interval '1 hour' where id = ${older.sessionId}`;
    await waitFor(async () => !fx.connector.sessions().find((s) => s.id === older.sessionId), 'the older socket closed');

    const { sessionId } = await requestLink(fx.db);
    await waitForStatus(fx.db, sessionId, 'qr');
    await scanLikeAUser(fx.sim, async () => (await sessionRow(fx.db, sessionId)).qr, { phone: older.phone });
    await waitForStatus(fx.db, sessionId, 'connected');
    expect(await sessionRow(fx.db, older.sessionId)).toMatchObject({ status: 'replaced', lease_owner: 'crashed-connector' });
    // what housekeeping runs (every second here) leaves a session to its holder while the lease is live
    expect((await fx.db.sql`select * from wipe_abandoned_ended_sessions() as id`).map((r) => r.id)).not.toContain(older.sessionId);
    expect(await credentialRows(older.sessionId)).toBeGreaterThan(0);

    // the dead holder's lease runs out
    await fx.db.sql`update whatsapp_sessions set lease_expires_at = now() where id = ${older.sessionId}`;
    await waitFor(async () => (await credentialRows(older.sessionId)) === 0, 'the abandoned credentials wiped');
    expect(await sessionRow(fx.db, older.sessionId)).toMatchObject({ status: 'replaced', lease_owner: null });
    expect((await sessionRow(fx.db, older.sessionId)).last_error).toMatch(/could not be logged out on WhatsApp \(remove it under Linked devices on the phone\); credentials wiped/);
    // the newer link is untouched
    expect(await credentialRows(sessionId)).toBeGreaterThan(0);
    expect((await sessionRow(fx.db, sessionId)).status).toBe('connected');
  });
});
