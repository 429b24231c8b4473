import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLinkedSession, createTestDatabase, queueText, randomPhone, sessionRow, startSimulator, startTestConnector,
  waitFor, type Simulator, type TestDatabase,
} from './connector-support.ts';
import type { RunningConnector } from '../../connector/index.ts';

let db: TestDatabase;
let sim: Simulator;
let connector: RunningConnector;
let sessions: Awaited<ReturnType<typeof createLinkedSession>>[] = [];
const stopped: RunningConnector[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({ receiptDelayMs: 20 });
  sessions = await Promise.all(Array.from({ length: 5 }, () => createLinkedSession(db, sim)));
  connector = await startTestConnector(db, sim);
  await waitFor(async () => connector.sessions().filter((s) => s.open).length === 5, 'five open sessions');
});
afterAll(async () => {
  await connector?.stop();
  await Promise.all(stopped.map((c) => c.stop()));
  await sim.stop();
  await db.drop();
});

describe('connector: messaging', () => {
  it('delivers 200 messages across 5 sessions once each, in order per recipient, rows ending delivered or read', async () => {
    const contacts = await Promise.all(Array.from({ length: 10 }, () => randomPhone()));
    const queued: { waId: string; id: string; contact: string; text: string }[] = [];
    for (let i = 0; i < 20; i++) {
      for (const [s, session] of sessions.entries()) {
        for (const c of [0, 1]) {
          const contact = contacts[s * 2 + c]!;
          const text = `msg ${i} from ${s} to ${c}`;
          queued.push({ ...(await queueText(db, session, contact, text)), contact, text });
        }
      }
    }
    for (const contact of contacts) await sim.contact(contact).waitForCount(20, { timeoutMs: 90_000 });
    for (const contact of contacts) {
      const expected = queued.filter((q) => q.contact === contact);
      expect(sim.contact(contact).received().map((m) => m.text)).toEqual(expected.map((q) => q.text));
      for (const q of expected) expect(sim.contact(contact).receivedCount(q.waId)).toBe(1);
    }
    const ids = queued.map((q) => q.id);
    await waitFor(async () => {
      const rows = await db.sql`select status from outbound_messages where id = any(${ids}) and status not in ('delivered', 'read')`;
      return rows.length === 0;
    }, 'every row delivered or read', 30_000);
  }, 120_000);

  it('stores each incoming message once even when WhatsApp replays it, with text, sender and push name', async () => {
    const s = sessions[0]!;
    const contact = sim.contact(await randomPhone(), { name: 'Carla' });
    const id = await contact.sendText(s.phone, 'hello connector');
    const row = await waitFor(async () => (await db.sql`select * from inbound_messages where session_id = ${s.sessionId} and wa_message_id = ${id}`)[0], 'the inbound row');
    expect(row).toMatchObject({ text: 'hello connector', from_me: false, sender_phone: contact.phone, push_name: 'Carla', message_type: 'conversation' });
    await contact.sendText(s.phone, 'hello connector', { id });
    const marker = await contact.sendText(s.phone, 'after the replay');
    await waitFor(async () => (await db.sql`select 1 from inbound_messages where wa_message_id = ${marker}`)[0], 'the marker row');
    const rows = await db.sql`select 1 from inbound_messages where session_id = ${s.sessionId} and wa_message_id = ${id}`;
    expect(rows).toHaveLength(1);
  });

  it('stores what the owner typed on the phone as from_me, and not the messages the connector itself sent', async () => {
    const s = sessions[1]!;
    const contact = await randomPhone();
    const sent = await queueText(db, s, contact, 'sent by the CRM');
    await sim.contact(contact).waitForMessage({ id: sent.waId }, { timeoutMs: 45_000 });
    const id = await sim.phone(s.phone).sendText(contact, 'typed on the phone');
    const row = await waitFor(async () => (await db.sql`select * from inbound_messages where wa_message_id = ${id}`)[0], 'the from_me row');
    expect(row).toMatchObject({ from_me: true, text: 'typed on the phone', chat_jid: `${contact.slice(1)}@s.whatsapp.net` });
    expect(await db.sql`select 1 from inbound_messages where wa_message_id = ${sent.waId}`).toHaveLength(0);
  });

  it('fails invalid recipients and numbers not on WhatsApp with a reason, without sending', async () => {
    const s = sessions[2]!;
    const ghost = await randomPhone();
    sim.markNotOnWhatsApp(ghost);
    const bad = await queueText(db, s, '+12', 'nope');
    const missing = await queueText(db, s, ghost, 'nobody home');
    const rows = await waitFor(async () => {
      const r = await db.sql`select id, status, error_code, error from outbound_messages where id = any(${[bad.id, missing.id]}) and status = 'failed'`;
      return r.length === 2 ? r : null;
    }, 'both rows failed');
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[bad.id]).toMatchObject({ error_code: 'invalid_recipient', error: expect.stringContaining('not a possible phone number') });
    expect(byId[missing.id]).toMatchObject({ error_code: 'not_on_whatsapp', error: `${ghost} is not on WhatsApp` });
  });

  it('reconnects every session without a QR after a restart, stores what arrived meanwhile, and keeps sending', async () => {
    await connector.stop();
    stopped.push(connector);
    for (const s of sessions) expect((await sessionRow(db, s.sessionId)).lease_owner).toBeNull();
    await waitFor(async () => sim.devices().filter((d) => sessions.some((s) => s.jid === d.jid) && d.connected).length === 0, 'sockets closed');
    // Written while no connector was up: WhatsApp keeps it for the device's next login.
    const writer = sim.contact(await randomPhone());
    const offlineId = await writer.sendText(sessions[3]!.phone, 'while you were away');
    connector = await startTestConnector(db, sim);
    await waitFor(async () => connector.sessions().filter((s) => s.open).length === 5, 'five sessions open again');
    for (const s of sessions) {
      const row = await sessionRow(db, s.sessionId);
      expect(row).toMatchObject({ status: 'connected', qr: null, phone_number: s.phone });
    }
    await waitFor(async () => (await db.sql`select 1 from inbound_messages where wa_message_id = ${offlineId} and text = 'while you were away'`)[0],
      'the message sent while offline stored');
    const contact = await randomPhone();
    const msg = await queueText(db, sessions[4]!, contact, 'after restart');
    await sim.contact(contact).waitForMessage({ id: msg.waId }, { timeoutMs: 45_000 });
  });
});
