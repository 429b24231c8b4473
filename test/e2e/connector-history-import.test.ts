// History import on link (issue 13 item 5): the recent chats the phone sends a new link (the simulator's initial
// history sync, test/sim/handlers/history-sync.ts) become inbound_messages flagged imported, joined to their
// contacts (the phone from the sync's mappings, or number hidden), and the conversations view shows them; a
// live message afterwards is not imported. With the user's history_import setting off, the contacts and
// mappings are still recorded, the messages are not. The later chunks (RECENT, downloaded from the media host)
// are imported too: every message once, in order, and the mappings they carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/index.ts';
import {
  createTestDatabase, queueText, randomPhone, requestLink, scanLikeAUser, sessionRow, startSimulator, startTestConnector, waitFor, waitForStatus,
  type Simulator, type TestDatabase,
} from './connector-support.ts';

let db: TestDatabase;
let sim: Simulator;
let connector: RunningConnector;
beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator();
  // the RECENT chunks are media the phone uploads: Baileys downloads them from the simulator's media host
  connector = await startTestConnector(db, sim, { WA_SIM_MEDIA_CA: Buffer.from(sim.mediaCaPem).toString('base64'), WA_SIM_MEDIA_HOST: sim.mediaHost });
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

async function linkAs(me: string, settings?: Record<string, unknown>) {
  const sent = sim.linkEvents('history_sync_sent').length;
  const { sessionId, userId } = await requestLink(db);
  if (settings) {
    await db.sql`insert into configuracion_mensajeria_usuario (user_id, platform, name, config)
      values (${userId}, 'whatsapp', 'default', ${db.sql.json(settings as never)})`;
  }
  await scanLikeAUser(sim, async () => (await sessionRow(db, sessionId)).qr, { phone: me });
  await waitForStatus(db, sessionId, 'connected');
  await waitFor(async () => sim.linkEvents('history_sync_sent').length > sent, 'the history sync sent');
  return { sessionId, userId };
}

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
  const { sessionId, userId } = await linkAs(me, settings);
  return { me, alice, hidden, ids, sessionId, userId };
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
      unread_count from whatsapp_conversations where session_id = ${sessionId} order by last_message_at desc`;
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
    // the chats it listed are existing chats all the same (restrictions hold sends to new contacts only)
    const chats = await db.sql`select lid, history_chat_at is not null as listed from whatsapp_contacts where session_id = ${sessionId}`;
    expect(chats.every((c) => c.listed)).toBe(true);
    const [known] = await db.sql`select session_has_chat_with(${sessionId}, ${alice.phone}) as yes, session_has_chat_with(${sessionId}, '+15550009999') as stranger`;
    expect(known).toEqual({ yes: true, stranger: false });
  }, 120_000);

  it('the push names the phone sends (PUSH_NAME) land on the contacts, also by LID, and never replace the name the owner saved', async () => {
    const me = await randomPhone();
    const alice = sim.contact(await randomPhone(), { name: 'Alice Pushname' });
    const hidden = sim.contact(await randomPhone(), { name: 'Hidden Pushname' });
    // saved in the owner's address book as 'Alice (tienda)'; the hidden one is not saved (no displayName)
    sim.seedHistory(me, [
      { with: alice.phone, savedAs: 'Alice (tienda)', messages: [{ fromMe: false, text: 'hola' }] },
      { with: hidden.phone, phoneShared: false, savedAs: '', messages: [{ fromMe: false, text: 'info' }] },
    ]);
    const sentNames = sim.linkEvents('history_push_names_sent').length;
    // import off: no message brings a push name along, so what lands came from PUSH_NAME alone
    const { sessionId } = await linkAs(me, { history_import: false });
    await waitFor(async () => sim.linkEvents('history_push_names_sent').length > sentNames, 'the push names sent');
    expect(sim.linkEvents('history_push_names_sent').at(-1)?.detail).toMatchObject({ names: '2' });
    const contacts = () => db.sql`select lid, phone_number, push_name, saved_name from whatsapp_contacts
      where session_id = ${sessionId} order by phone_number nulls last`;
    await waitFor(async () => { const c = await contacts(); return c.length === 2 && c.every((x) => x.push_name !== null); }, 'the push names recorded');
    expect(await contacts()).toEqual([
      { lid: alice.lid, phone_number: alice.phone, push_name: 'Alice Pushname', saved_name: 'Alice (tienda)' },
      { lid: hidden.lid, phone_number: null, push_name: 'Hidden Pushname', saved_name: null },
    ]);
    expect(await db.sql`select 1 from inbound_messages where session_id = ${sessionId}`).toEqual([]);
  }, 120_000);

  it('imports the later chunks too (RECENT, from the media host): every message once, in order, with the mappings they carry', async () => {
    const me = await randomPhone();
    const alice = sim.contact(await randomPhone(), { name: 'Alice' });
    const hidden = sim.contact(await randomPhone(), { name: 'Hidden' });
    const bob = sim.contact(await randomPhone(), { name: 'Bob' }); // an older chat: only in a RECENT chunk
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
    const tag = Date.now().toString(36).toUpperCase();
    const seeded = (who: string, count: number, newestMinutesAgo: number) => Array.from({ length: count }, (_, i) => ({
      id: `CH${tag}${who}${i}`, fromMe: i % 3 === 2, text: `${who} ${i}`, at: at(newestMinutesAgo + (count - i) * 7) }));
    const history = { alice: seeded('A', 7, 10), hidden: seeded('H', 4, 5), bob: seeded('B', 3, 600) };
    sim.seedHistory(me, [
      { with: alice.phone, messages: history.alice },
      { with: hidden.phone, phoneShared: false, messages: history.hidden },
      { with: bob.phone, messages: history.bob },
    ], { bootstrapConversations: 2, bootstrapMessagesPerConversation: 2, messagesPerChunk: 3 });
    const chunksBefore = sim.linkEvents('history_chunk_sent').length;
    const importedBefore = await metric('whatsapp_history_messages_imported_total');
    const { sessionId } = await linkAs(me);
    const all = [...history.alice, ...history.hidden, ...history.bob];

    // 4 in the bootstrap (Alice's and Hidden's newest two), the other 10 in RECENT chunks of 3, 3, 3, 1
    await waitFor(async () => sim.linkEvents('history_chunk_sent').length - chunksBefore === 4 || null, 'the RECENT chunks sent');
    const chunks = sim.linkEvents('history_chunk_sent').slice(chunksBefore).map((e) => e.detail);
    expect(chunks.map((d) => [d?.chunkOrder, d?.progress, d?.messages])).toEqual([['1', '25', '3'], ['2', '50', '3'], ['3', '75', '3'], ['4', '100', '1']]);
    const stored = await waitFor(async () => {
      const r = await db.sql`select wa_message_id, text, from_me, imported, contact_id from inbound_messages
        where session_id = ${sessionId} order by wa_timestamp, wa_message_id`;
      return r.length >= all.length ? r : null;
    }, 'every chunk imported', 60_000);
    // once each (no duplicate across chunks), in the order they were written, all flagged imported
    const inOrder = [...all].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1));
    expect(stored.map((r) => [r.wa_message_id, r.text, r.from_me, r.imported])).toEqual(inOrder.map((m) => [m.id, m.text, m.fromMe, true]));
    await waitFor(async () => (await metric('whatsapp_history_messages_imported_total')) - importedBefore === all.length || null, 'the metric');

    // the mapping in Bob's chunk gave his contact its phone; each contact's rows join it
    const contacts = await db.sql`select id, lid, phone_number from whatsapp_contacts where session_id = ${sessionId}`;
    const byLid = new Map(contacts.map((c) => [c.lid, c]));
    expect(byLid.get(bob.lid)).toMatchObject({ phone_number: bob.phone });
    expect(byLid.get(hidden.lid)).toMatchObject({ phone_number: null });
    const contactOf = (id: string) => stored.find((r) => r.wa_message_id === id)!.contact_id;
    expect(new Set(history.bob.map((m) => contactOf(m.id)))).toEqual(new Set([byLid.get(bob.lid)!.id]));
    expect(new Set(history.alice.map((m) => contactOf(m.id)))).toEqual(new Set([byLid.get(alice.lid)!.id]));
    const conversations = await db.sql`select display_name, phone_number, last_message_text from whatsapp_conversations
      where session_id = ${sessionId} order by last_message_at desc`;
    expect(conversations).toEqual([
      { display_name: 'Hidden', phone_number: null, last_message_text: 'H 3' },
      { display_name: 'Alice', phone_number: alice.phone, last_message_text: 'A 6' },
      { display_name: 'Bob', phone_number: bob.phone, last_message_text: 'B 2' },
    ]);
  }, 120_000);

  it('with history import off, a restricted account still reaches a chat the history listed; only a new contact waits (issue 12)', async () => {
    const skippedBefore = await metric('whatsapp_history_sync_chunks_total{imported="no"}');
    const { me, alice, sessionId, userId } = await linkWithHistory({ history_import: false });
    await waitFor(async () => (await metric('whatsapp_history_sync_chunks_total{imported="no"}')) > skippedBefore, 'the chunk handled, import off');
    sim.restrict(me, { durationMs: 120_000 });
    await waitFor(async () => (await sessionRow(db, sessionId)).restricted_until, 'restricted_until on the session row');
    const stranger = sim.contact(await randomPhone(), { name: 'Stranger' });
    const cold = await queueText(db, { sessionId, userId }, stranger.phone, 'oferta');
    const warm = await queueText(db, { sessionId, userId }, alice.phone, '¿te guardo la talla M?');
    // no message of Alice's is stored, but the history listed the chat: it is not a new contact
    await alice.waitForMessage({ id: warm.waId }, { timeoutMs: 20_000 });
    const held = await waitFor(async () => {
      const [r] = await db.sql`select status, error_code from outbound_messages where id = ${cold.id}`;
      return r?.error_code === 'account_restricted' ? r : null;
    }, 'the row to the new contact held');
    expect(held).toEqual({ status: 'queued', error_code: 'account_restricted' });
    expect(stranger.received()).toEqual([]);
  }, 120_000);
});
