import { afterAll, describe, expect, it } from 'vitest';
import {
  useConnectorFixture, queueText, randomPhone, sessionRow, startTestConnector, waitFor,
} from './connector-support.ts';
import type { RunningConnector } from '../../connector/index.ts';

const stopped: RunningConnector[] = [];
const fx = useConnectorFixture({ simulator: { receiptDelayMs: 20 }, linkedSessions: 5 });
afterAll(() => Promise.all(stopped.map((c) => c.stop())));

describe('connector: messaging', () => {
  it('delivers 200 messages across 5 sessions once each, in order per recipient, rows ending delivered or read', async () => {
    const contacts = await Promise.all(Array.from({ length: 10 }, () => randomPhone()));
    const queued: { waId: string; id: string; contact: string; text: string }[] = [];
    for (let i = 0; i < 20; i++) {
      for (const [s, session] of fx.sessions.entries()) {
        for (const c of [0, 1]) {
          const contact = contacts[s * 2 + c]!;
          const text = `msg ${i} from ${s} to ${c}`;
          queued.push({ ...(await queueText(fx.db, session, contact, text)), contact, text });
        }
      }
    }
    for (const contact of contacts) await fx.sim.contact(contact).waitForCount(20, { timeoutMs: 90_000 });
    for (const contact of contacts) {
      const expected = queued.filter((q) => q.contact === contact);
      expect(fx.sim.contact(contact).received().map((m) => m.text)).toEqual(expected.map((q) => q.text));
      for (const q of expected) expect(fx.sim.contact(contact).receivedCount(q.waId)).toBe(1);
    }
    const ids = queued.map((q) => q.id);
    await waitFor(async () => {
      const rows = await fx.db.sql`select status from outbound_messages where id = any(${ids}) and status not in ('delivered', 'read')`;
      return rows.length === 0;
    }, 'every row delivered or read', 30_000);
  }, 120_000);

  it('stores each incoming message once even when WhatsApp replays it, with text, sender and push name', async () => {
    const s = fx.sessions[0]!;
    const contact = fx.sim.contact(await randomPhone(), { name: 'Carla' });
    const id = await contact.sendText(s.phone, 'hello connector');
    const row = await waitFor(async () => (await fx.db.sql`select * from inbound_messages where session_id = ${s.sessionId} and wa_message_id = ${id}`)[0], 'the inbound row');
    expect(row).toMatchObject({ text: 'hello connector', from_me: false, sender_phone: contact.phone, push_name: 'Carla', message_type: 'conversation' });
    await contact.sendText(s.phone, 'hello connector', { id });
    const marker = await contact.sendText(s.phone, 'after the replay');
    await waitFor(async () => (await fx.db.sql`select 1 from inbound_messages where wa_message_id = ${marker}`)[0], 'the marker row');
    const rows = await fx.db.sql`select 1 from inbound_messages where session_id = ${s.sessionId} and wa_message_id = ${id}`;
    expect(rows).toHaveLength(1);
  });

  it('stores a burst of one contact\'s messages in the order WhatsApp delivered them (the timeline and mark-read rely on it)', async () => {
    const s = fx.sessions[2]!;
    const contact = fx.sim.contact(await randomPhone());
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) sent.push(await contact.sendText(s.phone, `burst ${i}`));
    await waitFor(async () => (await fx.db.sql`select count(*)::int as n from inbound_messages where wa_message_id = any(${sent})`)[0]!.n === sent.length,
      'the burst stored');
    const stored = await fx.db.sql`select wa_message_id from inbound_messages where wa_message_id = any(${sent}) order by id`;
    expect(stored.map((r) => r.wa_message_id)).toEqual(sent);
    const byReceipt = await fx.db.sql`select wa_message_id from inbound_messages where wa_message_id = any(${sent}) order by received_at, id`;
    expect(byReceipt.map((r) => r.wa_message_id)).toEqual(sent);
  });

  it('stores what the owner typed on the phone as from_me, and not the messages the connector itself sent', async () => {
    const s = fx.sessions[1]!;
    const contact = await randomPhone();
    const sent = await queueText(fx.db, s, contact, 'sent by the CRM');
    await fx.sim.contact(contact).waitForMessage({ id: sent.waId }, { timeoutMs: 45_000 });
    const id = await fx.sim.phone(s.phone).sendText(contact, 'typed on the phone');
    const row = await waitFor(async () => (await fx.db.sql`select * from inbound_messages where wa_message_id = ${id}`)[0], 'the from_me row');
    expect(row).toMatchObject({ from_me: true, text: 'typed on the phone', chat_jid: `${contact.slice(1)}@s.whatsapp.net` });
    expect(await fx.db.sql`select 1 from inbound_messages where wa_message_id = ${sent.waId}`).toHaveLength(0);
  });

  it('fails invalid recipients and numbers not on WhatsApp with a reason, without sending', async () => {
    const s = fx.sessions[2]!;
    const ghost = await randomPhone();
    fx.sim.markNotOnWhatsApp(ghost);
    const bad = await queueText(fx.db, s, '+12', 'nope');
    const missing = await queueText(fx.db, s, ghost, 'nobody home');
    const rows = await waitFor(async () => {
      const r = await fx.db.sql`select id, status, error_code, error from outbound_messages where id = any(${[bad.id, missing.id]}) and status = 'failed'`;
      return r.length === 2 ? r : null;
    }, 'both rows failed');
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[bad.id]).toMatchObject({ error_code: 'invalid_recipient', error: expect.stringContaining('not a possible phone number') });
    expect(byId[missing.id]).toMatchObject({ error_code: 'not_on_whatsapp', error: `${ghost} is not on WhatsApp` });
  });

  it('reconnects every session without a QR after a restart, stores what arrived meanwhile, and keeps sending', async () => {
    await fx.connector.stop();
    stopped.push(fx.connector);
    for (const s of fx.sessions) expect((await sessionRow(fx.db, s.sessionId)).lease_owner).toBeNull();
    await waitFor(async () => fx.sim.devices().filter((d) => fx.sessions.some((s) => s.jid === d.jid) && d.connected).length === 0, 'sockets closed');
    // Written while no connector was up: WhatsApp keeps it for the device's next login.
    const writer = fx.sim.contact(await randomPhone());
    const offlineId = await writer.sendText(fx.sessions[3]!.phone, 'while you were away');
    fx.connector = await startTestConnector(fx.db, fx.sim);
    await waitFor(async () => fx.connector.sessions().filter((s) => s.open).length === 5, 'five sessions open again');
    for (const s of fx.sessions) {
      const row = await sessionRow(fx.db, s.sessionId);
      expect(row).toMatchObject({ status: 'connected', qr: null, phone_number: s.phone });
    }
    await waitFor(async () => (await fx.db.sql`select 1 from inbound_messages where wa_message_id = ${offlineId} and text = 'while you were away'`)[0],
      'the message sent while offline stored');
    const contact = await randomPhone();
    const msg = await queueText(fx.db, fx.sessions[4]!, contact, 'after restart');
    await fx.sim.contact(contact).waitForMessage({ id: msg.waId }, { timeoutMs: 45_000 });
  });
});
