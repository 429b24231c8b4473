// The WA Web version the connector announces (issue 12 §2.3) against the simulator's version floor (test/sim
// handlers/version.ts: `<failure reason="405" location="cln">` right after the handshake, Baileys#1937, #1634,
// #2370) and its published version (GET /sw.js, what Baileys' fetchLatestWaWebVersion reads). Stock rc14 against
// the same floor: test/sim/linking-2026.test.ts 'client version floor'. Each case has its own database and
// connector, so each starts with a fresh version choice; one simulator (its floor moved per case).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase, randomPhone, requestLink, scanLikeAUser, sessionRow, startSimulator, startTestConnector, waitForStatus,
  type Simulator, type TestDatabase,
} from './connector-support.ts';
import type { RunningConnector } from '../../connector/index.ts';
import { RC14_WA_VERSION } from '../sim/index.ts';

let sim: Simulator;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await sim?.stop();
});

async function connectorOn(overrides: Record<string, string> = {}): Promise<{ db: TestDatabase; connector: RunningConnector }> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const connector = await startTestConnector(db, sim, overrides);
  cleanups.push(() => connector.stop());
  return { db, connector };
}

const v = (version: readonly number[]) => version.join('.');
const refusals = () => sim.linkEvents('version_refused').length;
/** Long enough for a reconnect loop to show itself (RECONNECT_BASE_MS is 50 ms in these tests). */
const settle = () => new Promise((r) => setTimeout(r, 1500));

async function linkByQr(db: TestDatabase, sessionId: string) {
  await scanLikeAUser(sim, async () => (await sessionRow(db, sessionId)).qr, { phone: await randomPhone() });
  return waitForStatus(db, sessionId, 'connected');
}

describe('connector: the WA Web version (WA_VERSION, wa_web_version, 405 → client_outdated)', () => {
  it("before this fix (Baileys' pinned rc14 version, here pinned by WA_VERSION) a raised floor refuses the link: client_outdated at once, no reconnect loop, nothing half-written", async () => {
    sim.setVersions({ minimum: sim.versions().current });
    const { db } = await connectorOn({ WA_VERSION: v(RC14_WA_VERSION) });
    const before = refusals();
    const { sessionId } = await requestLink(db);
    const row = await waitForStatus(db, sessionId, 'client_outdated');
    expect(row).toMatchObject({ wa_web_version: v(RC14_WA_VERSION), last_disconnect_code: 405, qr: null, phone_number: null });
    expect(row.last_error).toMatch(/outdated \(405, location cln\).*announced 2\.3000\.1043857760, pinned by WA_VERSION/);
    await settle();
    expect(refusals() - before).toBe(1);
    const [auth] = await db.sql`select count(*)::int as n from whatsapp_auth_state where session_id = ${sessionId}`;
    expect(auth?.n).toBe(0);
  });

  it('WA_VERSION=latest (default): the version published on sw.js is announced, kept on the row, and links past the same floor', async () => {
    sim.setVersions({ minimum: sim.versions().current });
    const { db } = await connectorOn();
    const before = refusals();
    const { sessionId } = await requestLink(db);
    const row = await linkByQr(db, sessionId);
    expect(row.wa_web_version).toBe(v(sim.versions().current));
    expect(refusals() - before).toBe(0);
  });

  it('WhatsApp moves on while the connector runs: the next login is refused (405) with the version fetched at start, refetched once, and links with the new one', async () => {
    const { db } = await connectorOn();
    const { sessionId: firstId } = await requestLink(db);
    const first = await linkByQr(db, firstId);
    expect(first.wa_web_version).toBe(v(sim.versions().current));
    const [a, b, c] = sim.versions().current;
    const newer = [a, b, c + 1] as const;
    sim.setVersions({ current: newer, minimum: newer });
    const before = refusals();
    const { sessionId } = await requestLink(db);
    const row = await linkByQr(db, sessionId);
    expect(row.wa_web_version).toBe(v(newer));
    expect(refusals() - before).toBe(1);
  });

  it('the refetched version is refused too: one retry only, then client_outdated naming both refusals', async () => {
    const { db } = await connectorOn();
    const { sessionId: firstId } = await requestLink(db);
    await linkByQr(db, firstId);
    const [a, b, c] = sim.versions().current;
    // what sw.js publishes is still below the floor (WhatsApp's own page lagging behind its floor)
    sim.setVersions({ current: [a, b, c + 1], minimum: [a, b, c + 2] });
    const before = refusals();
    const { sessionId } = await requestLink(db);
    const row = await waitForStatus(db, sessionId, 'client_outdated');
    expect(row.wa_web_version).toBe(v([a, b, c + 1]));
    expect(row.last_error).toMatch(/outdated \(405, location cln\).*fetched again after a first refusal/);
    await settle();
    expect(refusals() - before).toBe(2);
    expect((await sessionRow(db, firstId)).status).toBe('connected');
  });
});
