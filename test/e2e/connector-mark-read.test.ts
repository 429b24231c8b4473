// Mark read end to end (issue 15 item 3): the CRM, as the user (role authenticated, RLS and column grants as
// through the Data API), marks a conversation read (mark_conversation_read) or a message (a 'read' row); the
// connector sends WhatsApp's read receipt through real Baileys (readMessages) and the contact's phone in the
// simulator has it as type="read" for each message (blue ticks). The inbound rows get read_at and the
// conversation's unread_count drops to 0. Another user can neither mark these messages nor see that they exist.
// Also the quote fix of migration 20261207004400: a reply quoting an id the session does not have is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/index.ts';
import {
  asUser, createLinkedSession, createTestDatabase, createUser, queueText, randomPhone, startSimulator, startTestConnector,
  waitFor, type Simulator, type TestDatabase,
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

const stored = (waId: string) => waitFor(async () =>
  (await db.sql`select contact_id, read_at from inbound_messages where wa_message_id = ${waId}`)[0], `${waId} stored`);

async function sqlError(run: () => Promise<unknown>): Promise<{ code?: string; hint?: string }> {
  try {
    await run();
  } catch (error) {
    return error as { code?: string; hint?: string };
  }
  throw new Error('expected a refusal');
}

const markConversation = (userId: string, contactId: string) => asUser(db.sql, userId, async (tx) =>
  (await tx`select mark_conversation_read(${contactId}) as id`)[0]!.id as string | null);

describe('connector: mark read', () => {
  it('marks a conversation read: the contact\'s phone gets a read receipt for each unread message, unread_count goes to 0', async () => {
    const contact = sim.contact(await randomPhone(), { receipts: 'none' });
    const first = await contact.sendText(s.jid, 'Hola, ¿tienen stock?');
    const second = await contact.sendText(s.jid, '¿Y envío a Valencia?');
    const { contact_id: contactId } = await stored(first);
    await stored(second);
    // Baileys acknowledged both with delivery receipts; nobody read them yet
    await contact.waitForReceipt(second, 'delivered');
    expect([contact.receiptFor(first), contact.receiptFor(second)]).toEqual(['delivered', 'delivered']);
    const conversation = async () => (await db.sql`select unread_count from whatsapp_conversations where contact_id = ${contactId}`)[0]!;
    expect((await conversation()).unread_count).toBe(2);

    const rowId = await markConversation(s.userId, contactId as string);
    expect(rowId).not.toBeNull();
    const [row] = await db.sql`select content_type, target_wa_message_id, recipient from outbound_messages where id = ${rowId}`;
    expect(row).toEqual({ content_type: 'read', target_wa_message_id: second, recipient: contact.phone });
    await sentRow(rowId!);
    await contact.waitForReceipt(first, 'read');
    await contact.waitForReceipt(second, 'read');
    const reads = await db.sql`select read_at from inbound_messages where wa_message_id in (${first}, ${second})`;
    expect(reads.every((r) => r.read_at !== null)).toBe(true);
    expect((await conversation()).unread_count).toBe(0);
    // nothing left unread: nothing queued
    expect(await markConversation(s.userId, contactId as string)).toBeNull();
    // a read receipt is not a message of the conversation
    const listed = await asUser(db.sql, s.userId, (tx) => tx`select last_message_text from whatsapp_conversations where contact_id = ${contactId}`);
    expect(listed[0]!.last_message_text).toBe('¿Y envío a Valencia?');
  }, 90_000);

  it('marks read up to one message: later ones stay unread', async () => {
    const contact = sim.contact(await randomPhone(), { receipts: 'none' });
    const early = await contact.sendText(s.jid, 'uno');
    await stored(early);
    const late = await contact.sendText(s.jid, 'dos');
    await stored(late);
    const rowId = await asUser(db.sql, s.userId, async (tx) => (await tx`insert into outbound_messages
      (session_id, content_type, target_wa_message_id) values (${s.sessionId}, 'read', ${early}) returning id`)[0]!.id as string);
    await sentRow(rowId);
    await contact.waitForReceipt(early, 'read');
    expect((await stored(early)).read_at).not.toBeNull();
    expect((await stored(late)).read_at).toBeNull();
    expect(contact.receiptFor(late)).not.toBe('read');
  }, 90_000);

  it('another user can neither mark these messages read nor learn that they exist; nothing is written', async () => {
    const contact = sim.contact(await randomPhone(), { receipts: 'none' });
    const asked = await contact.sendText(s.jid, 'privado');
    const { contact_id: contactId } = await stored(asked);
    const intruder = await createLinkedSession(db, sim, undefined, undefined, await createUser(db.sql));
    const before = (await db.sql`select count(*)::int as n from outbound_messages`)[0]!.n;

    // their contact id: not found, exactly like an id that does not exist
    expect(await sqlError(() => markConversation(intruder.userId, contactId as string))).toMatchObject({ code: 'WL404', hint: 'contact_not_found' });
    // a 'read' row on the owner's session: refused by RLS
    expect((await sqlError(() => asUser(db.sql, intruder.userId, (tx) => tx`insert into outbound_messages
      (session_id, content_type, target_wa_message_id) values (${s.sessionId}, 'read', ${asked})`))).code).toBe('42501');
    // on their own session, naming the owner's message: that session has no such message
    expect(await sqlError(() => asUser(db.sql, intruder.userId, (tx) => tx`insert into outbound_messages
      (session_id, content_type, target_wa_message_id) values (${intruder.sessionId}, 'read', ${asked})`)))
      .toMatchObject({ code: 'WL404', hint: 'target_not_found' });
    // and read_at cannot be written directly, not even by the owner
    for (const user of [intruder.userId, s.userId]) {
      expect((await sqlError(() => asUser(db.sql, user, (tx) => tx`update inbound_messages set read_at = now() where wa_message_id = ${asked}`))).code)
        .toBe('42501');
    }
    expect((await db.sql`select count(*)::int as n from outbound_messages`)[0]!.n).toBe(before);
    expect((await stored(asked)).read_at).toBeNull();
    expect(contact.receiptFor(asked)).not.toBe('read');
  }, 90_000);

  it('refuses what cannot be read, and a quote of a message the session does not have', async () => {
    const contact = sim.contact(await randomPhone());
    const ours = await queueText(db, s, contact.phone, 'nuestro');
    await sentRow(ours.id);
    const asked = await contact.sendText(s.jid, 'pregunta');
    await stored(asked);
    const before = (await db.sql`select count(*)::int as n from outbound_messages`)[0]!.n;
    const insert = (fields: Record<string, unknown>) => asUser(db.sql, s.userId, (tx) =>
      tx`insert into outbound_messages ${tx({ session_id: s.sessionId, ...fields } as never)}`);
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ content_type: 'read', target_wa_message_id: 'NOSUCHID' }, 'WL404', 'target_not_found'],
      [{ content_type: 'read', target_wa_message_id: ours.waId }, 'WL409', 'not_received'],
      [{ content_type: 'read', target_wa_message_id: asked, text: 'x' }, '23514', undefined],
      [{ content_type: 'text', recipient: contact.phone, text: 'ver arriba', quoted_wa_message_id: 'NOSUCHID' }, 'WL404', 'quoted_not_found'],
    ];
    for (const [fields, code, hint] of cases) {
      const error = await sqlError(() => insert(fields));
      expect([error.code, error.hint], JSON.stringify(fields)).toEqual([code, hint]);
    }
    expect((await db.sql`select count(*)::int as n from outbound_messages`)[0]!.n).toBe(before);
    // quoting a message the session has is accepted (theirs or ours)
    await insert({ content_type: 'text', recipient: contact.phone, text: 'sí', quoted_wa_message_id: asked });
    await insert({ content_type: 'text', recipient: contact.phone, text: 'como dije', quoted_wa_message_id: ours.waId });
  }, 90_000);
});
