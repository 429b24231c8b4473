// Contacts, LID-first, end to end: real Baileys (the connector in-process) against the simulator, the local
// stack's Postgres and supabase-js under RLS. A contact that hides its number writes only its LID (no
// sender_pn, as Baileys PR #2744 saw in production); its phone becomes known later and every earlier row
// joins; a send to a phone number and the LID-only reply land on one contact; another user sees none of it.
import { describe, expect, it } from 'vitest';
import type { SignedUpUser } from '../support/stack.ts';
import { useConnectorFixture, createLinkedSession, queueText, randomPhone, waitFor } from './connector-support.ts';

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

const inbound = (waId: string) => waitFor(async () =>
  (await fx.db.sql`select * from inbound_messages where session_id = ${fx.session.sessionId} and wa_message_id = ${waId}`)[0],
  `inbound row ${waId}`);
const contact = async (id: string) => (await fx.db.sql`select * from whatsapp_contacts where id = ${id}`)[0];

describe('connector: contacts (LID-first)', () => {
  it('a contact that hides its number: a row with its LID and push name, no phone; its phone later joins every earlier row', async () => {
    const lead = fx.sim.contact(await randomPhone(), { name: 'Hidden Lead' }).setSharesPhone(false);
    const first = await inbound(await lead.sendText(fx.session.phone, 'I saw your ad'));
    const second = await inbound(await lead.sendText(fx.session.phone, 'is it still available?'));
    expect(first).toMatchObject({ chat_jid: lead.lid, sender_phone: null, push_name: 'Hidden Lead' });
    expect(first.contact_id).toBeTruthy();
    expect(second.contact_id).toBe(first.contact_id);
    expect(await contact(first.contact_id)).toMatchObject({
      lid: lead.lid, phone_number: null, phone_source: null, push_name: 'Hidden Lead', user_id: owner.user.id,
    });

    // The same person starts sharing the number (sender_pn on the stanza, remoteJidAlt in Baileys).
    lead.setSharesPhone(true);
    const third = await inbound(await lead.sendText(fx.session.phone, 'my number is on this one'));
    expect(third.contact_id).toBe(first.contact_id);
    expect(await contact(first.contact_id)).toMatchObject({ lid: lead.lid, phone_number: lead.phone, phone_source: 'message' });
    const rows = await fx.db.sql`select sender_phone, contact_id from inbound_messages
      where session_id = ${fx.session.sessionId} and wa_message_id = any(${[first.wa_message_id, second.wa_message_id, third.wa_message_id]})`;
    expect(rows.map((r) => r.sender_phone)).toEqual([lead.phone, lead.phone, lead.phone]);
    expect(new Set(rows.map((r) => r.contact_id))).toEqual(new Set([first.contact_id]));
  });

  it('a send to a phone number, then a LID-only reply: one contact', async () => {
    const customer = fx.sim.contact(await randomPhone(), { name: 'Replier' }).setSharesPhone(false);
    const sent = await queueText(fx.db, fx.session, customer.phone, 'your order shipped');
    await customer.waitForMessage({ id: sent.waId }, { timeoutMs: 45_000 });
    const out = await waitFor(async () =>
      (await fx.db.sql`select contact_id from outbound_messages where id = ${sent.id} and contact_id is not null`)[0], 'the sent row\'s contact');
    const reply = await inbound(await customer.sendText(fx.session.phone, 'thanks!'));
    expect(reply).toMatchObject({ chat_jid: customer.lid, contact_id: out.contact_id, sender_phone: customer.phone });
    expect(await contact(out.contact_id)).toMatchObject({ lid: customer.lid, phone_number: customer.phone, push_name: 'Replier' });
    expect(await fx.db.sql`select 1 from whatsapp_contacts where session_id = ${fx.session.sessionId}
      and (lid = ${customer.lid} or phone_number = ${customer.phone})`).toHaveLength(1);
  });

  it('supabase-js under RLS: the owner reads their contacts, another user reads none and cannot write', async () => {
    const { data: mine, error } = await owner.client.from('whatsapp_contacts').select('id, lid, phone_number, push_name');
    expect(error).toBeNull();
    expect(mine!.length).toBeGreaterThanOrEqual(2);
    const theirs = await stranger.client.from('whatsapp_contacts').select('id');
    expect(theirs).toMatchObject({ data: [], error: null });
    const forged = await stranger.client.from('whatsapp_contacts')
      .insert({ session_id: fx.session.sessionId, user_id: stranger.user.id, lid: '1@lid' });
    expect(forged.error).toMatchObject({ code: '42501' });
    const renamed = await owner.client.from('whatsapp_contacts').update({ push_name: 'x' }).eq('id', mine![0]!.id).select();
    expect(renamed.error).toMatchObject({ code: '42501' });
    const rpc = await owner.client.rpc('record_whatsapp_contact', {
      p_session_id: fx.session.sessionId, p_lid: '2@lid', p_phone: null, p_phone_source: null });
    expect(rpc.error).not.toBeNull();
    expect(await fx.db.sql`select 1 from whatsapp_contacts where lid in ('1@lid', '2@lid')`).toHaveLength(0);
    const { data: msgs } = await stranger.client.from('inbound_messages').select('id');
    expect(msgs).toEqual([]);
  });
});
