// Answering a contact whose number WhatsApp hides (issue 15): the CRM names the contact (contact_id) instead of a phone
// number; the insert trigger address_outbound_contact (migration 20261207004500) addresses the row to the contact's
// LID, and the connector sends it through real Baileys to the simulator's @lid routing (test/sim/lid-send.test.ts).
// A reaction and a read receipt for the contact's message go to the LID too (they were refused recipient_unknown).
// Refusals: another user's contact is not found (RLS), nothing queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/index.ts';
import {
  asUser, createLinkedSession, createTestDatabase, createUser, randomPhone, startSimulator, startTestConnector, waitFor,
  type Simulator, type TestDatabase,
} from './connector-support.ts';

let db: TestDatabase;
let sim: Simulator;
let connector: RunningConnector;
let s: Awaited<ReturnType<typeof createLinkedSession>>;
beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({ receiptDelayMs: 10 });
  connector = await startTestConnector(db, sim, { WEBHOOK_DELIVERY: 'disabled' });
  s = await createLinkedSession(db, sim);
  await waitFor(async () => connector.sessions().some((c) => c.id === s.sessionId && c.open), 'the session open');
}, 120_000);
afterAll(async () => {
  await connector?.stop();
  await sim?.stop();
  await db?.drop();
});

const sentRow = (id: string) => waitFor(async () => {
  const [row] = await db.sql`select status, error_code, error from outbound_messages where id = ${id}`;
  if (row?.status === 'failed') throw new Error(`row ${id} failed: ${row.error_code} ${row.error}`);
  return row && ['sent', 'delivered', 'read'].includes(row.status as string) ? row : null;
}, `row ${id} sent`, 45_000);

async function sqlError(run: () => Promise<unknown>): Promise<{ code?: string; hint?: string }> {
  try {
    await run();
  } catch (error) {
    return error as { code?: string; hint?: string };
  }
  throw new Error('expected the insert to be refused');
}

/** A contact that hides its number writes to us: its contact row has a LID and no phone. */
async function hiddenLead() {
  const contact = sim.contact(await randomPhone(), { receipts: 'none' }).setSharesPhone(false);
  const asked = await contact.sendText(s.jid, 'Vi su anuncio, ¿precio?');
  const stored = await waitFor(async () => (await db.sql`select contact_id, sender_phone from inbound_messages where wa_message_id = ${asked}`)[0],
    'the lead stored');
  expect(stored.sender_phone).toBeNull();
  const [c] = await db.sql`select id, lid, phone_number from whatsapp_contacts where id = ${stored.contact_id as string}`;
  expect(c).toMatchObject({ lid: contact.lid, phone_number: null });
  return { contact, asked, contactId: c!.id as string };
}

describe('connector: answering a number-hidden (LID-only) contact', () => {
  it('a row naming the contact goes to its LID and the contact\'s phone gets it', async () => {
    const { contact, contactId } = await hiddenLead();
    const id = await asUser(db.sql, s.userId, async (tx) => (await tx`insert into outbound_messages (session_id, contact_id, text)
      values (${s.sessionId}, ${contactId}, 'Son 12 €, envío gratis') returning id`)[0]!.id as string);
    expect((await db.sql`select recipient, recipient_jid from outbound_messages where id = ${id}`)[0])
      .toEqual({ recipient: null, recipient_jid: contact.lid });
    await sentRow(id);
    await contact.waitForMessage({ text: 'Son 12 €, envío gratis' });
    const [row] = await db.sql`select contact_id, recipient_jid from outbound_messages where id = ${id}`;
    expect(row).toEqual({ contact_id: contactId, recipient_jid: contact.lid });
    // the conversation shows our answer as its last message, still without a phone number
    const [conv] = await db.sql`select last_message_from_me, number_hidden from whatsapp_conversations where contact_id = ${contactId}`;
    expect(conv).toEqual({ last_message_from_me: true, number_hidden: true });
  });

  it('a reaction and a read receipt for the contact\'s message reach its phone', async () => {
    const { contact, asked } = await hiddenLead();
    const reaction = await asUser(db.sql, s.userId, async (tx) => (await tx`insert into outbound_messages
      (session_id, content_type, target_wa_message_id, text) values (${s.sessionId}, 'reaction', ${asked}, '👍') returning id`)[0]!.id as string);
    await sentRow(reaction);
    const owner = `+${s.phone.replace(/^\+/, '')}`;
    await contact.waitUntil(() => (contact.repActions().reactions.get(asked)?.get(owner)?.emoji === '👍' ? true : undefined), 'the reaction on the phone');
    const [contactRow] = await db.sql`select contact_id from inbound_messages where wa_message_id = ${asked}`;
    const read = await asUser(db.sql, s.userId, async (tx) =>
      (await tx`select mark_conversation_read(${contactRow!.contact_id as string}) as id`)[0]!.id as string);
    await sentRow(read);
    await contact.waitUntil(() => (contact.receiptFor(asked) === 'read' ? true : undefined), 'the blue ticks on the phone');
  });

  it('another user cannot write to the contact (not found, nothing queued); recipient and contact_id together are refused', async () => {
    const { contactId } = await hiddenLead();
    const intruder = await createLinkedSession(db, sim, undefined, undefined, await createUser(db.sql));
    const before = (await db.sql`select count(*)::int as n from outbound_messages`)[0]!.n as number;
    const foreign = await sqlError(() => asUser(db.sql, intruder.userId, (tx) =>
      tx`insert into outbound_messages (session_id, contact_id, text) values (${intruder.sessionId}, ${contactId}, 'hola')`));
    expect(foreign).toMatchObject({ code: 'WL404', hint: 'contact_not_found' });
    const both = await sqlError(() => asUser(db.sql, s.userId, (tx) =>
      tx`insert into outbound_messages (session_id, recipient, contact_id, text) values (${s.sessionId}, '+15550009999', ${contactId}, 'hola')`));
    expect(both).toMatchObject({ code: 'WL422' });
    expect((await db.sql`select count(*)::int as n from outbound_messages`)[0]!.n).toBe(before);
  });
});
