import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase, requestLink, sessionRow, startSimulator, startTestConnector, waitFor, waitForStatus,
  randomPhone, type Simulator, type TestDatabase,
} from './connector-support.ts';
import type { RunningConnector } from '../../connector/index.ts';

let db: TestDatabase;
let sim: Simulator;
const running: RunningConnector[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator();
});
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  await sim.stop();
  await db.drop();
});

describe('connector: linking', () => {
  it('links by QR end to end: the QR appears in the session row, the phone scans it, the row ends connected', async () => {
    const { sessionId } = await requestLink(db);
    running.push(await startTestConnector(db, sim));
    const withQr = await waitFor(async () => {
      const row = await sessionRow(db, sessionId);
      return row.status === 'qr' ? row : null;
    }, 'a QR in the session row');
    expect(withQr.qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/);
    expect(new Date(withQr.qr_expires_at).getTime()).toBeGreaterThan(Date.now() + 30_000);

    const phone = await randomPhone();
    await sim.scanQr(withQr.qr, { phone, pushName: 'Linked' });
    const connected = await waitForStatus(db, sessionId, 'connected');
    expect(connected).toMatchObject({ phone_number: phone, qr: null, qr_expires_at: null, push_name: 'Linked' });
    const [command] = await db.sql`select status, error from session_commands where session_id = ${sessionId}`;
    expect(command).toMatchObject({ status: 'done', error: null });
    const kinds = await db.sql`select distinct kind from whatsapp_auth_state where session_id = ${sessionId}`;
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['creds', 'pre-key']));
  });
});
