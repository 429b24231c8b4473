import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLinkedSession, createTestDatabase, requestLink, sessionRow, startSimulator, startTestConnector, waitFor, waitForStatus,
  randomPhone, type Simulator, type TestDatabase,
} from './connector-support.ts';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig, startConnector, type RunningConnector } from '../../connector/index.ts';
import { connectorEnv, scanLikeAUser, TEST_KEY } from './connector-support.ts';
import { decodeValue, makeEnvelope } from '../../connector/auth-state/index.ts';

const logLines: string[] = [];
const capture = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });

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
    // Trace level: Baileys' own logger goes to warn, libsignal's console output goes through the guard.
    const config = loadConfig(connectorEnv(db, sim, { LOG_LEVEL: 'trace' }));
    running.push(await startConnector(config, { logger: pino({ level: 'trace' }, capture) }));
    const withQr = await waitFor(async () => {
      const row = await sessionRow(db, sessionId);
      return row.status === 'qr' ? row : null;
    }, 'a QR in the session row');
    expect(withQr.qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/);
    expect(new Date(withQr.qr_expires_at).getTime()).toBeGreaterThan(Date.now() + 30_000);

    const phone = await randomPhone();
    await scanLikeAUser(sim, async () => (await sessionRow(db, sessionId)).qr, { phone, pushName: 'Linked' });
    const connected = await waitForStatus(db, sessionId, 'connected');
    expect(connected).toMatchObject({ phone_number: phone, qr: null, qr_expires_at: null, push_name: 'Linked' });
    const [command] = await db.sql`select status, error from session_commands where session_id = ${sessionId}`;
    expect(command).toMatchObject({ status: 'done', error: null });
    const kinds = await db.sql`select distinct kind from whatsapp_auth_state where session_id = ${sessionId}`;
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['creds', 'pre-key']));
  });

  it('links with a pairing code: the code appears in the session row, the user types it on the phone', async () => {
    const phone = await randomPhone();
    const { sessionId } = await requestLink(db, 'pairing_code', phone);
    const row = await waitFor(async () => {
      const r = await sessionRow(db, sessionId);
      return r.status === 'pairing_code' ? r : null;
    }, 'a pairing code in the session row');
    expect(row.pairing_code).toMatch(/^[A-Z0-9]{8}$/);
    expect(row.qr).toBeNull();
    await sim.enterPairingCode(row.pairing_code, { phone, pushName: 'Coded' });
    expect(await waitForStatus(db, sessionId, 'connected')).toMatchObject({ phone_number: phone, pairing_code: null });
  });

  it('logs no secrets: no private keys (base64 or hex), no libsignal session dumps, no QR strings', async () => {
    // Its own connector at trace level, so the log covers exactly this session's resume and traffic.
    await Promise.all(running.splice(0).map((c) => c.stop()));
    logLines.length = 0;
    const config = loadConfig(connectorEnv(db, sim, { LOG_LEVEL: 'trace' }));
    running.push(await startConnector(config, { logger: pino({ level: 'trace' }, capture) }));
    const s = await createLinkedSession(db, sim);
    await waitFor(async () => running[0]!.sessions().find((x) => x.id === s.sessionId && x.open), 'session open');
    const contact = sim.contact(await randomPhone());
    await contact.sendText(s.phone, 'hello');
    await waitFor(async () => (await db.sql`select 1 from inbound_messages where session_id = ${s.sessionId}`)[0], 'inbound stored');
    const envelope = makeEnvelope({ current: Buffer.from(TEST_KEY, 'base64') });
    const secrets: Buffer[] = [];
    for (const row of await db.sql`select session_id, kind, key_id, value from whatsapp_auth_state where kind in ('creds', 'pre-key', 'session')`) {
      const value = decodeValue(envelope, row.session_id, row.kind, row.key_id, row.value) as Record<string, any>;
      if (row.kind === 'creds') secrets.push(value.noiseKey.private, value.signedIdentityKey.private, value.signedPreKey.keyPair.private, Buffer.from(value.advSecretKey, 'base64'));
      if (row.kind === 'pre-key') secrets.push(value.private);
    }
    expect(secrets.length).toBeGreaterThan(10);
    const log = logLines.join('');
    expect(log.length).toBeGreaterThan(1000);
    for (const secret of secrets) {
      expect(log).not.toContain(Buffer.from(secret).toString('base64'));
      expect(log).not.toContain(Buffer.from(secret).toString('hex'));
    }
    expect(log).not.toMatch(/SessionEntry|privKey|linked_devices#/);
  });
});
