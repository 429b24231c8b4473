// Linking through the connector against WhatsApp as it behaves in late 2026 (issue 12 §2): the simulator's
// behaviours all on (its defaults), the connector with its Baileys patches (connector/whatsapp/baileys-patches).
// Stock rc14 against the same behaviours: test/sim/linking-2026.test.ts.
import { describe, expect, it } from 'vitest';
import {
  useConnectorFixture, createTestDatabase, recordSessionTransitions, requestLink, scanLikeAUser, sessionRow, sessionTransitions, startSimulator, startTestConnector, waitFor, waitForStatus, randomPhone, type TestDatabase,
} from './connector-support.ts';
import { parseQr, SimScanError } from '../sim/index.ts';

const fx = useConnectorFixture();

const refusalOf = (p: Promise<unknown>) =>
  p.then(() => 'linked', (e: unknown) => (e instanceof SimScanError ? e.code : `error: ${(e as Error).message}`));

async function qrOf(sessionId: string, other?: string, on: TestDatabase = fx.db): Promise<string> {
  return waitFor(async () => {
    const row = await sessionRow(on, sessionId);
    return row.status === 'qr' && row.qr !== other ? (row.qr as string) : null;
  }, other ? 'a new QR in the session row' : 'a QR in the session row');
}

describe('connector: linking with the registration refresh (companion_reg_refresh, Baileys#2737)', () => {
  it('acks the refresh, rotates the ADV secret, re-renders the same ref in the row, and the scan of the new QR links', async () => {
    expect(fx.sim.behaviours().companionRegRefresh).toBe(true);
    const { sessionId } = await requestLink(fx.db);
    const first = await qrOf(sessionId);
    const phone = await randomPhone();
    await expect(refusalOf(fx.sim.scanQr(first, { phone, pushName: 'Refreshed' }))).resolves.toBe('registration_refresh');
    const second = await qrOf(sessionId, first);
    // the current ref again, with only the ADV secret (4th field) replaced
    expect(parseQr(second).ref).toBe(parseQr(first).ref);
    expect(parseQr(second).noiseKey).toEqual(parseQr(first).noiseKey);
    expect(parseQr(second).advSecret).not.toEqual(parseQr(first).advSecret);
    // the pre-login ack now goes out (PR #2749)
    await waitFor(async () => fx.sim.linkEvents('notification_ack').find((e) => e.detail?.type === 'companion_reg_refresh'), 'the ack');
    // the old QR is dead on the phone; the new one links
    await expect(refusalOf(fx.sim.scanQr(first, { phone }))).resolves.toBe('retired_secret');
    await fx.sim.scanQr(second, { phone, pushName: 'Refreshed' });
    expect(await waitForStatus(fx.db, sessionId, 'connected')).toMatchObject({ phone_number: phone, qr: null, push_name: 'Refreshed' });
    // a second scan of the QR that linked: its ref is used up, nothing changes
    await expect(refusalOf(fx.sim.scanQr(second, { phone }))).resolves.toBe('unknown_ref');
    expect((await sessionRow(fx.db, sessionId)).status).toBe('connected');
  });

  it('a scan during the refresh (before the new QR is shown) fails on the phone and leaves the link waiting', async () => {
    const { sessionId } = await requestLink(fx.db);
    const first = await qrOf(sessionId);
    const phone = await randomPhone();
    await expect(refusalOf(fx.sim.scanQr(first, { phone }))).resolves.toBe('registration_refresh');
    await expect(refusalOf(fx.sim.scanQr(first, { phone }))).resolves.toBe('retired_secret');
    const second = await qrOf(sessionId, first);
    expect((await sessionRow(fx.db, sessionId)).phone_number).toBeNull();
    await fx.sim.scanQr(second, { phone });
    await waitForStatus(fx.db, sessionId, 'connected');
  });
});

describe('connector: passkey-gated accounts (passkey_prologue_request, Baileys#2672)', () => {
  it('the scan ends the link as passkey_required with a readable reason: the notification is acked once, no QR loop over 60 s of simulated time, nothing half-written', async () => {
    // WhatsApp's ref timing scaled 20x down (60 s first ref, 20 s later ones); the connector's QR TTL likewise
    const scale = 0.05;
    // its own database: the suite's connector (another simulator) must not claim this link
    const own = await createTestDatabase();
    // Every QR the row held, recorded by a trigger: a 25 ms poll missed a QR scanned and cleared between two polls.
    await recordSessionTransitions(own);
    // the same root key: the trusted simulator certificate is process-wide (applySimulatorCertificate)
    const fast = await startSimulator({ timeScale: scale, rootKey: fx.sim.rootKeyBase64 });
    const fastConnector = await startTestConnector(own, fast, { QR_TIMEOUT_MS: String(20_000 * scale) });
    try {
      const phone = await randomPhone();
      fast.requirePasskey(phone);
      const { sessionId } = await requestLink(own);
      const qr = await qrOf(sessionId, undefined, own);
      const scannedAt = Date.now();
      await expect(refusalOf(fast.scanQr(qr, { phone }))).resolves.toBe('passkey_required');
      const row = await waitForStatus(own, sessionId, 'passkey_required');
      const elapsedMs = Date.now() - scannedAt;
      expect(row).toMatchObject({ qr: null, qr_expires_at: null, phone_number: null, last_disconnect_code: 403 });
      expect(row.last_error).toMatch(/passkey.*pairing code/);
      // 60 s of simulated time: stock rc14 shows 3 more refs here and ends 408 after 6 (test/sim/linking-2026.test.ts)
      await new Promise((r) => setTimeout(r, 60_000 * scale));
      // no QR after the scanned one (a slow box may have rotated refs before the scan: those were shown before it)
      const history = await sessionTransitions(own, sessionId);
      const afterScan = history.slice(history.findIndex((t) => t.qr === qr) + 1);
      expect(afterScan.map((t) => t.qr).filter((shown) => shown !== null)).toEqual([]);
      expect(afterScan.at(-1)?.status).toBe('passkey_required');
      process.stderr.write(`passkey_required written ${elapsedMs} ms after the scan\n`);
      expect(fast.linkEvents('passkey_request_sent')).toHaveLength(1);
      expect(fast.linkEvents('notification_ack').filter((e) => e.detail?.type === 'passkey_prologue_request')).toHaveLength(1);
      expect(fast.linkEvents('pair_success_sent')).toEqual([]);
      expect(fastConnector.sessions().find((s) => s.id === sessionId)).toBeUndefined();
      const [auth] = await own.sql`select count(*)::int as n from whatsapp_auth_state where session_id = ${sessionId}`;
      expect(auth?.n).toBe(0);
      expect((await sessionRow(own, sessionId)).status).toBe('passkey_required');
    } finally {
      await fastConnector.stop();
      await fast.stop();
      await own.drop();
    }
  });
});

describe('connector: pairing code with a standard browser display (PR #2769)', () => {
  it('the code request is accepted (display "Chrome (Windows)") and the code typed on the phone links', async () => {
    expect(fx.sim.behaviours().pairingCodeDisplayCheck).toBe(true);
    const phone = await randomPhone();
    const { sessionId } = await requestLink(fx.db, 'pairing_code', phone);
    const row = await waitFor(async () => {
      const r = await sessionRow(fx.db, sessionId);
      return r.status === 'pairing_code' ? r : null;
    }, 'a pairing code in the session row');
    await fx.sim.enterPairingCode(row.pairing_code, { phone, pushName: 'Coded' });
    expect(await waitForStatus(fx.db, sessionId, 'connected')).toMatchObject({ phone_number: phone });
    expect(fx.sim.linkEvents('pairing_code_refused')).toEqual([]);
  });
});

describe('connector: a scan of an expired QR (bad input from the phone)', () => {
  it('the phone refuses the expired ref ("expired"), the link keeps showing its current QR with nothing half-written, and the current QR links', async () => {
    // WhatsApp's ref timing scaled 10x down (the server's first ref lives 60 s, later ones 20 s); the connector shows
    // each ref 20 s (scaled): by the time the first ref is expired on the server the page shows its 4th
    const scale = 0.1;
    const own = await createTestDatabase();
    const fast = await startSimulator({ timeScale: scale, rootKey: fx.sim.rootKeyBase64 });
    const fastConnector = await startTestConnector(own, fast, { QR_TIMEOUT_MS: String(20_000 * scale) });
    try {
      const { sessionId } = await requestLink(own);
      const first = await qrOf(sessionId, undefined, own);
      const shownAt = Date.now();
      // a photo of the first QR, scanned after the server's 60 s (scaled) for it
      await new Promise((r) => setTimeout(r, 60_000 * scale + 300 - (Date.now() - shownAt)));
      const current = await qrOf(sessionId, first, own);
      expect(parseQr(current).ref).not.toBe(parseQr(first).ref);
      const phone = await randomPhone();
      await expect(refusalOf(fast.scanQr(first, { phone }))).resolves.toBe('expired');
      const row = await sessionRow(own, sessionId);
      expect(row).toMatchObject({ status: 'qr', phone_number: null, wa_jid: null, connected_at: null });
      expect(fast.linkEvents('pair_success_sent')).toEqual([]);
      await scanLikeAUser(fast, async () => (await sessionRow(own, sessionId)).qr, { phone });
      expect(await waitForStatus(own, sessionId, 'connected')).toMatchObject({ phone_number: phone });
    } finally {
      await fastConnector.stop();
      await fast.stop();
      await own.drop();
    }
  });
});
