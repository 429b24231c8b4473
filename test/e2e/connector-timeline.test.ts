// The timeline end to end: real Baileys (the connector in-process) against the simulator, the local stack's
// Postgres, supabase-js under RLS. One row per WhatsApp id whatever JID form it arrives under; an ad lead's
// placeholder replaced in place by the phone's resend (or left pending when the phone never answers); what
// the owner typed on the phone while the connector was down; edits, deletes for everyone, reactions; the
// conversations view as a CRM reads it.
import { describe, expect, it } from 'vitest';
import type { SignedUpUser } from '../support/stack.ts';
import { createLinkedSession, queueText, randomPhone, startTestConnector, useConnectorFixture, waitFor } from './connector-support.ts';

let owner: SignedUpUser;
let stranger: SignedUpUser;
const fx = useConnectorFixture({
  stack: { realtime: false },
  simulator: { receiptDelayMs: 10 },
  before: async ({ stack, db, sim, sessions }) => {
    [owner, stranger] = await Promise.all([stack.signUp(), stack.signUp()]);
    sessions.push(await createLinkedSession(db, sim, undefined, undefined, owner.user.id));
  },
});

const rowsOf = (waId: string) =>
  fx.db.sql`select * from inbound_messages where session_id = ${fx.session.sessionId} and wa_message_id = ${waId}`;
const inbound = (waId: string, ready: (row: Record<string, any>) => boolean = () => true) => waitFor(async () => {
  const [row] = await rowsOf(waId);
  return row && ready(row) ? row : null;
}, `inbound row ${waId}`);
const open = () => waitFor(async () => fx.connector.sessions().some((s) => s.open), 'the session open');

describe('connector: the timeline', () => {
  it('stores a message once whatever JID form it arrives under (LID then phone JID, and phone JID then LID)', async () => {
    const contact = fx.sim.contact(await randomPhone(), { name: 'Twice' });
    const first = await contact.sendText(fx.session.phone, 'by LID first');
    await inbound(first);
    await contact.sendText(fx.session.phone, 'by LID first', { id: first, addressing: 'pn' });
    const second = await contact.sendText(fx.session.phone, 'by phone JID first', { addressing: 'pn' });
    await inbound(second);
    await contact.sendText(fx.session.phone, 'by phone JID first', { id: second });
    const marker = await contact.sendText(fx.session.phone, 'after both replays');
    const last = await inbound(marker);
    const rows = await fx.db.sql`select wa_message_id, contact_id from inbound_messages
      where session_id = ${fx.session.sessionId} and wa_message_id = any(${[first, second]})`;
    expect(rows.map((r) => r.wa_message_id).sort()).toEqual([first, second].sort());
    expect(new Set(rows.map((r) => r.contact_id))).toEqual(new Set([last.contact_id]));
    expect(fx.sim.stats().decryptErrors ?? 0).toBe(0);
  });

  it('an ad lead\'s placeholder is pending, then replaced in place by the content the phone resends; one never resent stays pending', async () => {
    const lead = fx.sim.contact(await randomPhone(), { name: 'Ad Lead' }).setSharesPhone(false);
    const lost = lead.sendAdLead(fx.session.phone, 'this one the phone lost', { resendable: false });
    const id = lead.sendAdLead(fx.session.phone, 'I clicked your ad: price?');
    const pending = await inbound(id);
    expect(pending).toMatchObject({ pending: true, pending_reason: 'Message absent from node', text: null, message_type: 'placeholder' });
    // rc14 waits 2 s, then asks the phone (a peer data operation); the content comes back under the same id.
    const resolved = await inbound(id, (r) => !r.pending);
    expect(resolved).toMatchObject({ id: pending.id, text: 'I clicked your ad: price?', message_type: 'conversation',
      pending_reason: null, push_name: 'Ad Lead', contact_id: pending.contact_id });
    expect(resolved.resolved_at).toBeTruthy();
    expect(await rowsOf(id)).toHaveLength(1);
    await waitFor(async () => fx.sim.stats().placeholderResendsAsked >= 2, 'both placeholders asked for');
    expect(await rowsOf(lost)).toMatchObject([{ pending: true, text: null, contact_id: pending.contact_id }]);
    const [conversation] = await fx.db.sql`select * from whatsapp_conversations where contact_id = ${pending.contact_id}`;
    expect(conversation).toMatchObject({ phone_number: null, number_hidden: true, display_name: 'Ad Lead', unread_count: 2 });
  }, 60_000);

  it('what the owner typed on the phone while the connector was stopped appears after the restart, as from_me', async () => {
    const contact = fx.sim.contact(await randomPhone(), { name: 'Customer' });
    await inbound(await contact.sendText(fx.session.phone, 'hello?'));
    await fx.connector.stop();
    await waitFor(async () => !fx.sim.devices().some((d) => d.jid === fx.session.jid && d.connected), 'the socket closed');
    const typed = await fx.sim.phone(fx.session.phone).sendText(contact.phone, 'typed on the phone while you were down');
    fx.connector = await startTestConnector(fx.db, fx.sim);
    await open();
    const row = await inbound(typed);
    expect(row).toMatchObject({ from_me: true, text: 'typed on the phone while you were down' });
    const [conversation] = await fx.db.sql`select * from whatsapp_conversations where contact_id = ${row.contact_id}`;
    expect(conversation).toMatchObject({ last_message_text: 'typed on the phone while you were down', last_message_from_me: true,
      unread_count: 0, phone_number: contact.phone, number_hidden: false });
  }, 90_000);

  it('edits keep the previous text, delete for everyone marks the row, reactions are recorded on the right message', async () => {
    const contact = fx.sim.contact(await randomPhone(), { name: 'Editor' });
    const id = await contact.sendText(fx.session.phone, 'meet at 5');
    await inbound(id);
    await contact.editMessage(fx.session.phone, id, 'meet at 6');
    const edited = await inbound(id, (r) => r.text === 'meet at 6');
    expect(edited.previous_texts).toMatchObject([{ text: 'meet at 5' }]);
    expect(edited.edited_at).toBeTruthy();

    const sent = await queueText(fx.db, fx.session, contact.phone, 'see you then');
    await contact.waitForMessage({ id: sent.waId }, { timeoutMs: 45_000 });
    await contact.react(fx.session.phone, sent.waId, '👍');
    await contact.react(fx.session.phone, id, '😀', { mine: true });
    const reactions = await waitFor(async () => {
      const r = await fx.db.sql`select wa_message_id, from_me, emoji, contact_id from message_reactions where session_id = ${fx.session.sessionId}
        and wa_message_id = any(${[sent.waId, id]}) order by emoji`;
      return r.length === 2 ? r : null;
    }, 'both reactions');
    expect(reactions).toEqual([
      { wa_message_id: sent.waId, from_me: false, emoji: '👍', contact_id: edited.contact_id },
      { wa_message_id: id, from_me: false, emoji: '😀', contact_id: edited.contact_id },
    ]);
    await contact.react(fx.session.phone, sent.waId, '');
    await waitFor(async () => (await fx.db.sql`select 1 from message_reactions where wa_message_id = ${sent.waId}`).length === 0, 'the reaction removed');

    const gone = await contact.sendText(fx.session.phone, 'oops, wrong chat');
    await inbound(gone);
    await contact.deleteForEveryone(fx.session.phone, gone);
    const deleted = await inbound(gone, (r) => r.deleted_at !== null);
    expect(deleted.text).toBe('oops, wrong chat');
    // protocol messages and reactions are not messages of their own
    expect(await fx.db.sql`select message_type from inbound_messages where contact_id = ${edited.contact_id} and from_me = false
      order by id`).toEqual([{ message_type: 'conversation' }, { message_type: 'conversation' }]);
  }, 90_000);

  it('supabase-js: the owner reads the conversations and reactions, another user none of them', async () => {
    const { data, error } = await owner.client.from('whatsapp_conversations')
      .select('contact_id, phone_number, number_hidden, display_name, last_message_text, unread_count, last_activity_at')
      .order('last_activity_at', { ascending: false });
    expect(error).toBeNull();
    expect(data!.length).toBeGreaterThanOrEqual(4);
    expect(data!.find((c) => c.display_name === 'Ad Lead')).toMatchObject({ phone_number: null, number_hidden: true });
    expect(await stranger.client.from('whatsapp_conversations').select('contact_id')).toMatchObject({ data: [], error: null });
    expect(await stranger.client.from('message_reactions').select('id')).toMatchObject({ data: [], error: null });
  });
});
