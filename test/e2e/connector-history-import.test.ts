// History import on link (issue 13 item 5): the recent chats the phone sends a new link (the simulator's initial
// history sync, test/sim/handlers/history-sync.ts) become inbound_messages flagged imported, joined to their
// contacts (the phone from the sync's mappings, or number hidden), and the conversations view shows them; a
// live message afterwards is not imported. With the user's history_import setting off, the contacts and
// mappings are still recorded, the messages are not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/index.ts';
import {
  createTestDatabase, randomPhone, requestLink, scanLikeAUser, sessionRow, startSimulator, startTestConnector, waitFor, waitForStatus,
  type Simulator, type TestDatabase,
} from './connector-support.ts';

let db: TestDatabase;
let sim: Simulator;
let connector: RunningConnector;
beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator();
  connector = await startTestConnector(db, sim);
});
afterAll(async () => {
  await connector?.stop();
  await sim?.stop();
  await db?.drop();
});

const metric = async (name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${connector.healthPort}/metrics`)).text();
  const escaped = name.replace(/[{}"]/g, (c) => `\\${c}`);
  return Number(new RegExp(`^${escaped} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
};

/** An account with two past chats (one with a contact who hides her number), linked by QR. */
async function linkWithHistory(settings?: Record<string, unknown>) {
  const me = await randomPhone();
  const alice = sim.contact(await randomPhone(), { name: 'Alice' });
  const hidden = sim.contact(await randomPhone(), { name: 'Hidden' });
  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
  const ids = { aliceIn: `HIST${Date.now()}A1`, aliceOut: `HIST${Date.now()}A2`, hiddenIn: `HIST${Date.now()}H1` };
  sim.seedHistory(me, [
    { with: alice.phone, messages: [{ fromMe: false, text: 'hola, ¿tenéis la talla M?', at: minutesAgo(30), id: ids.aliceIn },
      { fromMe: true, text: 'sí, te la guardo', at: minutesAgo(29), id: ids.aliceOut }] },
    { with: hidden.phone, phoneShared: false, messages: [{ fromMe: false, text: 'info please', at: minutesAgo(10), id: ids.hiddenIn }] },
  ]);
  const sent = sim.linkEvents('history_sync_sent').length;
  const { sessionId, userId } = await requestLink(db);
  if (settings) {
    await db.sql`insert into configuracion_mensajeria_usuario (user_id, platform, name, config)
      values (${userId}, 'whatsapp', 'default', ${db.sql.json(settings as never)})`;
  }
  await scanLikeAUser(sim, async () => (await sessionRow(db, sessionId)).qr, { phone: me });
  await waitForStatus(db, sessionId, 'connected');
  await waitFor(async () => sim.linkEvents('history_sync_sent').length > sent, 'the history sync sent');
  return { me, alice, hidden, ids, sessionId };
}

const rows = (sessionId: string, ids: string[]) => db.sql`select * from inbound_messages
  where session_id = ${sessionId} and wa_message_id = any(${ids}) order by wa_timestamp`;

describe('connector: history import on link', () => {
  it('imports the recent chats as imported rows joined to their contacts; the conversations view shows them; no message.received for them', async () => {
    const importedBefore = await metric('whatsapp_history_messages_imported_total');
    // the CRM's webhook is on (no delivery is needed: the events are rows of the outbox, written with the message)
    const { me, alice, hidden, ids, sessionId } = await linkWithHistory({ webhook: { url: 'https://crm.example.com/hooks/whatsapp', enabled: true } });
    const all = [ids.aliceIn, ids.aliceOut, ids.hiddenIn];
    const stored = await waitFor(async () => { const r = await rows(sessionId, all); return r.length === 3 ? r : null; }, 'the imported rows');
    expect(stored.map((r) => [r.wa_message_id, r.from_me, r.text, r.imported])).toEqual([
      [ids.aliceIn, false, 'hola, ¿tenéis la talla M?', true],
      [ids.aliceOut, true, 'sí, te la guardo', true],
      [ids.hiddenIn, false, 'info please', true],
    ]);
    const contacts = await db.sql`select id, lid, phone_number from whatsapp_contacts where session_id = ${sessionId}`;
    const aliceContact = contacts.find((c) => c.lid === alice.lid);
    const hiddenContact = contacts.find((c) => c.lid === hidden.lid);
    expect(aliceContact).toMatchObject({ phone_number: alice.phone });
    expect(hiddenContact).toMatchObject({ phone_number: null });
    expect(stored.map((r) => r.contact_id)).toEqual([aliceContact!.id, aliceContact!.id, hiddenContact!.id]);
    expect(stored[0]).toMatchObject({ sender_phone: alice.phone, push_name: 'Alice' });
    expect(stored[2]!.sender_phone).toBeNull();
    expect(await metric('whatsapp_history_messages_imported_total')).toBe(importedBefore + 3);

    const conversations = await db.sql`select display_name, phone_number, number_hidden, last_message_text, last_message_from_me,
      unread_count from whatsapp_conversations where session_id = ${sessionId} order by last_activity_at desc`;
    expect(conversations).toEqual([
      { display_name: 'Hidden', phone_number: null, number_hidden: true, last_message_text: 'info please', last_message_from_me: false, unread_count: 1 },
      { display_name: 'Alice', phone_number: alice.phone, number_hidden: false, last_message_text: 'sí, te la guardo', last_message_from_me: true, unread_count: 0 },
    ]);

    // what arrives live after the link is not imported, and joins the same contact
    const live = await alice.sendText(me, 'then M it is');
    const [row] = await waitFor(async () => { const r = await rows(sessionId, [live]); return r.length ? r : null; }, 'the live row');
    expect(row).toMatchObject({ imported: false, contact_id: aliceContact!.id });

    // history is not news: only the live message is a message.received (a CRM would auto-answer the history)
    const received = await db.sql`select data #>> '{message,wa_message_id}' as id, data #>> '{message,imported}' as imported
      from webhook_events where user_id = ${row!.user_id} and event_type = 'message.received'`;
    expect(received).toEqual([{ id: live, imported: 'false' }]);
  }, 120_000);

  it('with history import turned off, the contacts and mappings are recorded and no message is imported', async () => {
    const skippedBefore = await metric('whatsapp_history_sync_chunks_total{imported="no"}');
    const { alice, hidden, ids, sessionId } = await linkWithHistory({ history_import: false });
    await waitFor(async () => (await metric('whatsapp_history_sync_chunks_total{imported="no"}')) > skippedBefore, 'the chunk handled, import off');
    const contacts = await db.sql`select lid, phone_number from whatsapp_contacts where session_id = ${sessionId} order by phone_number nulls last`;
    expect(contacts).toEqual([{ lid: alice.lid, phone_number: alice.phone }, { lid: hidden.lid, phone_number: null }]);
    expect(await rows(sessionId, [ids.aliceIn, ids.aliceOut, ids.hiddenIn])).toEqual([]);
    expect(await db.sql`select 1 from inbound_messages where session_id = ${sessionId}`).toEqual([]);
  }, 120_000);
});
