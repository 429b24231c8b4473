// The function answers a contact whose number WhatsApp hides (migration 20261207004500): POST /messages with
// `contact_id` instead of `to`, and POST /messages/{id}/reply to such a contact's message, queue a row addressed to
// the contact's LID (connector-lid-contacts proves the send through the simulator). Refusals: both or neither of
// to/contact_id (400), another user's contact (404 contact_not_found), nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  h = await startFunctionHarness();
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => { await h?.stop(); });

const LID = '100000000000777@lid';

async function seeded() {
  const user = await createSignedInUser(h.stack);
  const created = await api('POST', '/sessions', { token: user.token });
  expect(created.status).toBe(201);
  const sessionId = created.body.id as string;
  const [contact] = await h.stack.sql`insert into whatsapp_contacts (session_id, user_id, lid, push_name)
    values (${sessionId}, ${user.id}, ${LID}, 'Lead') returning id`;
  const asked = `ASK${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
  await h.stack.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, sender_phone, message_type, text, wa_timestamp, contact_id)
    values (${sessionId}, ${user.id}, ${asked}, ${LID}, ${LID}, null, 'text', '¿Precio?', now(), ${contact!.id})`;
  return { ...user, sessionId, contactId: contact!.id as string, asked };
}
const count = async (userId: string) => Number((await h.stack.sql`select count(*)::int as n from outbound_messages where user_id = ${userId}`)[0]!.n);

describe('whatsapp function: number-hidden contacts', () => {
  it('POST /messages with contact_id and a reply to the contact\'s message are queued to its LID', async () => {
    const u = await seeded();
    const sent = await api('POST', '/messages', { token: u.token, json: { contact_id: u.contactId, text: 'Son 10 €' } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ to: null, contact_id: u.contactId, text: 'Son 10 €', status: 'queued' });
    const reply = await api('POST', `/messages/${u.asked}/reply`, { token: u.token, json: { text: 'Envío gratis' } });
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    expect(reply.body).toMatchObject({ to: null, contact_id: u.contactId, quoted_wa_message_id: u.asked });
    const rows = await h.stack.sql`select recipient, recipient_jid from outbound_messages where id in (${sent.body.id}, ${reply.body.id})`;
    expect(rows).toEqual([{ recipient: null, recipient_jid: LID }, { recipient: null, recipient_jid: LID }]);
    const react = await api('POST', `/messages/${u.asked}/reaction`, { token: u.token, json: { emoji: '👍' } });
    expect(react.status, JSON.stringify(react.body)).toBe(202);
    // the listing shows them as to a number-hidden contact, named, never by LID digits
    const listed = await api('GET', '/messages', { token: u.token });
    const ours = (listed.body.messages as { id: string; contact: string | null; number_hidden: boolean; contact_name: string | null }[])
      .find((m) => m.id === sent.body.id);
    expect(ours).toMatchObject({ contact: null, number_hidden: true, contact_name: 'Lead' });
  });

  it('refuses both or neither of to/contact_id and another user\'s contact; nothing written', async () => {
    const u = await seeded();
    const other = await seeded();
    const before = await count(u.id);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ text: 'hola' }, 400, 'validation_failed'],
      [{ to: '+14155552671', contact_id: u.contactId, text: 'hola' }, 400, 'validation_failed'],
      [{ contact_id: 'not-a-uuid', text: 'hola' }, 400, 'validation_failed'],
      [{ contact_id: other.contactId, text: 'hola' }, 404, 'contact_not_found'],
    ];
    for (const [json, status, code] of cases) {
      const r = await api('POST', '/messages', { token: u.token, json });
      expect([r.status, r.body.error?.code], JSON.stringify(json)).toEqual([status, code]);
    }
    expect(await count(u.id)).toBe(before);
  });
});
