import { describe, expect, it } from 'vitest';
import {
  asUser, ConnectorLog, createLinkedSession, queueText, randomPhone, recordSessionTransitions, requestLink, sessionRow,
  sessionTransitions, scanLikeAUser, useConnectorFixture, waitFor, waitForHistory, waitForStatus, type SessionTransition,
} from './connector-support.ts';

const log = new ConnectorLog();
const fx = useConnectorFixture({
  before: ({ db }) => recordSessionTransitions(db),
  simulator: { qrTimeoutsMs: { first: 1500, next: 1500, count: 2, graceMs: 3000 } },
  env: { QR_TIMEOUT_MS: '1500' },
  log,
});

const open = (sessionId: string) =>
  waitFor(async () => fx.connector.sessions().find((s) => s.id === sessionId && s.open), `session ${sessionId} open`);
const credentialRows = async (sessionId: string) =>
  (await fx.db.sql`select count(*)::int as n from whatsapp_auth_state where session_id = ${sessionId}`)[0]!.n as number;
const command = async (s: { sessionId: string; userId: string }, name: string) => {
  const [row] = await asUser(fx.db.sql, s.userId, (tx) => tx`select * from request_session_command(${s.sessionId}, ${name})`);
  return waitFor(async () => {
    const [c] = await fx.db.sql`select status, error from session_commands where id = ${row!.id} and status in ('done', 'failed')`;
    return c;
  }, `${name} command finished`);
};

describe('connector: disconnect codes', () => {
  it('515 reconnects at once and comes back connected', async () => {
    const s = await createLinkedSession(fx.db, fx.sim);
    await open(s.sessionId);
    const before = (await sessionRow(fx.db, s.sessionId)).connected_at as Date;
    fx.sim.fault(s.phone, 'restart_required');
    const row = await waitFor(async () => {
      const r = await sessionRow(fx.db, s.sessionId);
      return r.status === 'connected' && r.connected_at > before ? r : null;
    }, 'connected again after 515');
    expect(row).toMatchObject({ reconnect_attempts: 0, last_error: null });
  });

  it('503 reconnects with back-off (reconnecting, then connected) and the session keeps sending', async () => {
    const s = await createLinkedSession(fx.db, fx.sim);
    await open(s.sessionId);
    fx.sim.fault(s.phone, 'unavailable');
    // The 503 row lives only until the reconnect (50 ms back-off) completes the link again, which clears the code:
    // polling the row missed it under load. The recorded history holds every step.
    const after503 = (h: SessionTransition[]) => h.slice(h.findIndex((t) => t.code === 503));
    const history = await waitForHistory(fx.db, s.sessionId, (h) => h.some((t) => t.code === 503) && after503(h).some((t) => t.status === 'connected'),
      'the 503 recorded, then connected');
    expect(after503(history)[0]!.status).toBe('reconnecting');
    await waitForStatus(fx.db, s.sessionId, 'connected');
    const contact = await randomPhone();
    const msg = await queueText(fx.db, s, contact, 'after 503');
    await fx.sim.contact(contact).waitForMessage({ id: msg.waId }, { timeoutMs: 45_000 });
  });

  it('gives up with "failed" and the reason after repeated failed reconnects', async () => {
    const s = await createLinkedSession(fx.db, fx.sim);
    await open(s.sessionId);
    fx.sim.fault(s.phone, 'refuse_connections');
    fx.sim.fault(s.phone, 'close');
    const row = await waitForStatus(fx.db, s.sessionId, 'failed', 30_000);
    expect(row.last_error).toMatch(/gave up after 4 failed reconnects/);
    // The lease is released right after the status is written (a separate statement).
    await waitFor(async () => (await sessionRow(fx.db, s.sessionId)).lease_owner === null, 'the lease released');
    expect(await credentialRows(s.sessionId)).toBeGreaterThan(0);
  });

  it('401 wipes the credentials, marks the session logged_out and fails its unsent messages', async () => {
    const s = await createLinkedSession(fx.db, fx.sim);
    await open(s.sessionId);
    // Not due for an hour: it is still queued when the logout arrives.
    const pending = await queueText(fx.db, s, await randomPhone(), 'never sent', 3_600_000);
    fx.sim.fault(s.phone, 'logged_out');
    const row = await waitForStatus(fx.db, s.sessionId, 'logged_out');
    expect(row.last_disconnect_code).toBe(401);
    expect(await credentialRows(s.sessionId)).toBe(0);
    // The unsent rows are failed by the statement after the status write: wait for it.
    const msg = await waitFor(async () => {
      const [m] = await fx.db.sql`select status, error_code from outbound_messages where id = ${pending.id}`;
      return m?.status === 'failed' ? m : null;
    }, 'the unsent message failed');
    expect(msg).toMatchObject({ status: 'failed', error_code: 'session_logged_out' });
  });

  it('440 marks the session replaced, does not fight for the link and wipes its credentials', async () => {
    const s = await createLinkedSession(fx.db, fx.sim);
    await open(s.sessionId);
    const device = () => fx.sim.devices().find((d) => d.jid === s.jid)!;
    const logins = device().logins;
    fx.sim.fault(s.phone, 'replaced');
    const row = await waitForStatus(fx.db, s.sessionId, 'replaced');
    expect(row.last_error).toMatch(/replaced/);
    // The connector says what it decided on the close: 'replaced' (a reconnect would say 'reconnect' and its delay),
    // and then that the session closed for good (an ended connection opens no socket, whatever timer fires).
    const closed = await log.waitForLine('connection closed', { session: s.sessionId, code: 440 });
    expect(closed.decision).toMatchObject({ action: 'replaced' });
    await log.waitForLine('session closed', { session: s.sessionId, why: 'replaced' });
    expect(fx.connector.sessions().find((x) => x.id === s.sessionId)).toBeUndefined();
    await fx.sim.waitForDevice(s.phone, (d) => !d.connected);
    // The one way back left is a sweep resuming it. A session stored after the 440 is resumed by a later sweep,
    // which would have picked the replaced one too; any login of the replaced device meanwhile fails at once.
    const witness = await createLinkedSession(fx.db, fx.sim);
    await waitFor(async () => {
      if (device().logins !== logins) throw new Error(`the replaced device logged in again (${device().logins - logins} times)`);
      return fx.connector.sessions().find((x) => x.id === witness.sessionId && x.open);
    }, 'a session stored after the 440 resumed by a sweep');
    expect(fx.connector.sessions().find((x) => x.id === s.sessionId)).toBeUndefined();
    expect(device()).toMatchObject({ connected: false, logins });
    const history = await sessionTransitions(fx.db, s.sessionId);
    expect(history.at(-1)).toMatchObject({ status: 'replaced', code: 440 });
    // 440: no logout (the device is whoever-logged-in's now), and the credentials of the ended session are wiped
    expect(device().loggedOut).toBe(false);
    expect(await credentialRows(s.sessionId)).toBe(0);
  });

  it('fails a link whose QR refs run out: "QR code expired without a scan", partial credentials deleted', async () => {
    const { sessionId } = await requestLink(fx.db);
    await waitForStatus(fx.db, sessionId, 'qr');
    const row = await waitForStatus(fx.db, sessionId, 'failed', 30_000);
    expect(row.last_error, JSON.stringify(row)).toBe('QR code expired without a scan');
    expect(await credentialRows(sessionId)).toBe(0);
  });
});

describe('connector: unreadable credentials', () => {
  it('marks a session failed with the reason when its credentials were sealed with an unknown key', async () => {
    const s = await createLinkedSession(fx.db, fx.sim, undefined, Buffer.alloc(32, 9).toString('base64'));
    const row = await waitForStatus(fx.db, s.sessionId, 'failed');
    expect(row.last_error).toMatch(/^credentials cannot be read: .*not configured/);
    // 'failed' and the lease release are two statements (setStatus, then shutdown): wait for the second.
    await waitFor(async () => (await sessionRow(fx.db, s.sessionId)).lease_owner === null, 'the lease released');
  });
});

describe('connector: commands', () => {
  it('disconnect closes the socket and keeps the credentials; reconnect brings it back without a QR', async () => {
    const s = await createLinkedSession(fx.db, fx.sim);
    await open(s.sessionId);
    expect(await command(s, 'disconnect')).toMatchObject({ status: 'done' });
    expect(await sessionRow(fx.db, s.sessionId)).toMatchObject({ status: 'disconnected', lease_owner: null });
    expect(await credentialRows(s.sessionId)).toBeGreaterThan(0);
    expect(await command(s, 'reconnect')).toMatchObject({ status: 'done' });
    await waitForStatus(fx.db, s.sessionId, 'connected');
    expect((await sessionRow(fx.db, s.sessionId)).qr).toBeNull();
  });

  it('logout unlinks the device on WhatsApp and wipes the credentials', async () => {
    const s = await createLinkedSession(fx.db, fx.sim);
    await open(s.sessionId);
    expect(await command(s, 'logout')).toMatchObject({ status: 'done' });
    expect(await sessionRow(fx.db, s.sessionId)).toMatchObject({ status: 'logged_out', last_error: 'logged out by the user' });
    expect(await credentialRows(s.sessionId)).toBe(0);
    await waitFor(async () => fx.sim.devices().find((d) => d.jid === s.jid)?.loggedOut, 'the simulator saw the device removed');
  });

  // Issue 16 item 5: the older session kept its credential rows and its device stayed in the phone's Linked devices
  // (WhatsApp allows only a few), so a rep who re-linked a few times was locked out of linking.
  it('a newer link of the same number replaces the older session: its device is logged out on WhatsApp, its credentials wiped, its row says so', async () => {
    const older = await createLinkedSession(fx.db, fx.sim);
    await open(older.sessionId);
    expect(await credentialRows(older.sessionId)).toBeGreaterThan(0);
    const { sessionId } = await requestLink(fx.db);
    await waitForStatus(fx.db, sessionId, 'qr');
    await scanLikeAUser(fx.sim, async () => (await sessionRow(fx.db, sessionId)).qr, { phone: older.phone });
    await waitForStatus(fx.db, sessionId, 'connected');
    await waitForStatus(fx.db, older.sessionId, 'replaced');
    await waitFor(async () => !fx.connector.sessions().find((x) => x.id === older.sessionId), 'older socket closed');
    await waitFor(async () => fx.sim.devices().find((d) => d.jid === older.jid)?.loggedOut, 'the old device logged out on WhatsApp');
    const old = await waitFor(async () => {
      const r = await sessionRow(fx.db, older.sessionId);
      return r.lease_owner === null ? r : null;
    }, 'the older session finished');
    expect(old.last_error).toMatch(/linked again in a newer session; the old device was logged out on WhatsApp and its credentials wiped/);
    expect(await credentialRows(older.sessionId)).toBe(0);
    // the newer link is untouched
    expect(fx.sim.devices().find((d) => d.phone === older.phone && !d.loggedOut)?.connected).toBe(true);
    expect(await credentialRows(sessionId)).toBeGreaterThan(0);
    expect((await sessionRow(fx.db, sessionId)).status).toBe('connected');
  });

  it('an older session nobody holds (not connected) cannot be logged out: its credentials are wiped and its row says so', async () => {
    const older = await createLinkedSession(fx.db, fx.sim);
    await open(older.sessionId);
    expect(await command(older, 'disconnect')).toMatchObject({ status: 'done' });
    expect(await credentialRows(older.sessionId)).toBeGreaterThan(0);
    const { sessionId } = await requestLink(fx.db);
    await waitForStatus(fx.db, sessionId, 'qr');
    await scanLikeAUser(fx.sim, async () => (await sessionRow(fx.db, sessionId)).qr, { phone: older.phone });
    await waitForStatus(fx.db, sessionId, 'connected');
    const old = await waitForStatus(fx.db, older.sessionId, 'replaced');
    expect(old.last_error).toMatch(/could not be logged out on WhatsApp \(remove it under Linked devices on the phone\); credentials wiped/);
    expect(await credentialRows(older.sessionId)).toBe(0);
  });
});
