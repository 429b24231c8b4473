// Rep actions end to end (issue 15 item 3): rows the CRM writes as the user (role authenticated, RLS and column
// grants as through the Data API) that the connector claims like a send and sends through real Baileys to the
// simulator, where the contact's phone shows them (test/sim/handlers/rep-actions.ts): a reaction to the
// contact's message and its removal, an edit and a delete for everyone of a message the CRM sent. Each
// reaches the timeline (message_reactions, the sent row's text/previous_texts/edited_at/deleted_at) and writes
// message.updated. Refusals of the insert trigger: nothing queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/index.ts';
import {
  asUser, createLinkedSession, createTestDatabase, queueText, randomPhone, startSimulator, startTestConnector, waitFor,
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
  // a webhook is subscribed so the outbox records events (delivery is off: the rows are what we check)
  await asUser(db.sql, s.userId, (tx) =>
    tx`select save_messaging_settings(null, true, ${tx.json({ webhook: { url: 'https://crm.example.com/h', enabled: true } })})`);
}, 120_000);
afterAll(async () => {
  await connector?.stop();
  await sim?.stop();
  await db?.drop();
});

const owner = () => `+${s.phone.replace(/^\+/, '')}`;

/** As the CRM: an action row on `target` (no recipient: the trigger takes the target's). */
const act = (content_type: 'reaction' | 'edit' | 'revoke', target: string, text: string | null) =>
  asUser(db.sql, s.userId, async (tx) => {
    const [row] = await tx`insert into outbound_messages (session_id, content_type, target_wa_message_id, text)
      values (${s.sessionId}, ${content_type}, ${target}, ${text}) returning id`;
    return row!.id as string;
  });

const sentRow = (id: string) => waitFor(async () => {
  const [row] = await db.sql`select status, error_code, error from outbound_messages where id = ${id}`;
  if (row?.status === 'failed') throw new Error(`row ${id} failed: ${row.error_code} ${row.error}`);
  return row && ['sent', 'delivered', 'read'].includes(row.status as string) ? row : null;
}, `row ${id} sent`, 45_000);

const updatedEvents = async (waId: string) => (await db.sql`select data from webhook_events
  where user_id = ${s.userId} and event_type = 'message.updated' and data #>> '{message,wa_message_id}' = ${waId}
  order by seq`).map((r) => r.data as Record<string, unknown>);

async function sqlError(run: () => Promise<unknown>): Promise<{ code?: string; hint?: string }> {
  try {
    await run();
  } catch (error) {
    return error as { code?: string; hint?: string };
  }
  throw new Error('expected the insert to be refused');
}

describe('connector: rep actions', () => {
  it('reacts to the contact\'s message and removes the reaction; the contact\'s phone shows both', async () => {
    const contact = sim.contact(await randomPhone());
    const asked = await contact.sendText(s.jid, '¿Tienen envío gratis?');
    await waitFor(async () => (await db.sql`select 1 from inbound_messages where wa_message_id = ${asked}`)[0], 'the question stored');

    const reaction = await act('reaction', asked, '👍');
    expect((await db.sql`select recipient from outbound_messages where id = ${reaction}`)[0]!.recipient).toBe(contact.phone);
    await sentRow(reaction);
    const shown = () => contact.repActions().reactions.get(asked)?.get(owner())?.emoji;
    await contact.waitUntil(() => (shown() === '👍' ? true : undefined), 'the reaction on the phone');
    // The phone can show the reaction before the connector has processed Baileys' own-message event
    // (emitOwnEvents runs on the next tick after the relay): the row follows, it is not written first.
    await waitFor(async () => (await db.sql`select emoji from message_reactions where wa_message_id = ${asked} and from_me`)[0]?.emoji === '👍',
      'the reaction stored');
    await waitFor(async () => (await updatedEvents(asked)).length === 1, 'message.updated for the reaction');
    expect((await updatedEvents(asked))[0]).toMatchObject({ change: 'reaction', reaction: { emoji: '👍', from_me: true, removed: false } });

    const removal = await act('reaction', asked, '');
    await sentRow(removal);
    await contact.waitUntil(() => (shown() === '' ? true : undefined), 'the reaction removed on the phone');
    await waitFor(async () => (await db.sql`select 1 from message_reactions where wa_message_id = ${asked} and from_me`).length === 0,
      'the stored reaction removed');
    await waitFor(async () => (await updatedEvents(asked)).length === 2, 'message.updated for the removal');
    expect((await updatedEvents(asked))[1]).toMatchObject({ change: 'reaction', reaction: { removed: true } });
    // an action is not a message of the conversation
    const [conv] = await db.sql`select last_message_text from whatsapp_conversations where session_id = ${s.sessionId} and phone_number = ${contact.phone}`;
    expect(conv!.last_message_text).toBe('¿Tienen envío gratis?');
  }, 90_000);

  it('edits and then deletes for everyone a message the CRM sent; the phone shows the edit and the deletion', async () => {
    const contact = sim.contact(await randomPhone());
    const sent = await queueText(db, s, contact.phone, 'Precio: 10 €');
    await contact.waitForMessage({ id: sent.waId }, { timeoutMs: 45_000 });
    await sentRow(sent.id);

    const edit = await act('edit', sent.waId, 'Precio: 12 €');
    await sentRow(edit);
    await contact.waitUntil(() => contact.repActions().edits.get(sent.waId)?.at(-1), 'the edit on the phone');
    expect(contact.repActions().edits.get(sent.waId)).toEqual([expect.objectContaining({ text: 'Precio: 12 €', by: owner() })]);
    const [edited] = await db.sql`select text, previous_texts, edited_at from outbound_messages where id = ${sent.id}`;
    expect(edited!.text).toBe('Precio: 12 €');
    expect(edited!.previous_texts).toEqual([expect.objectContaining({ text: 'Precio: 10 €' })]);
    expect(edited!.edited_at).not.toBeNull();

    const revoke = await act('revoke', sent.waId, null);
    await sentRow(revoke);
    await contact.waitUntil(() => contact.repActions().revoked.get(sent.waId), 'the deletion on the phone');
    expect(contact.repActions().revoked.get(sent.waId)!.by).toBe(owner());
    expect((await db.sql`select deleted_at from outbound_messages where id = ${sent.id}`)[0]!.deleted_at).not.toBeNull();

    await waitFor(async () => (await updatedEvents(sent.waId)).length === 2, 'message.updated for the edit and the deletion');
    const [editEvent, deleteEvent] = await updatedEvents(sent.waId);
    expect(editEvent).toMatchObject({ change: 'edited', previous_text: 'Precio: 10 €', message: { text: 'Precio: 12 €' } });
    expect(deleteEvent).toMatchObject({ change: 'deleted', message: { deleted_at: expect.any(String) } });
    // the actions' own statuses arrive as message.status like any send
    const statuses = await db.sql`select data #>> '{message,content_type}' as type from webhook_events
      where user_id = ${s.userId} and event_type = 'message.status' and data #>> '{message,id}' in (${edit}, ${revoke})`;
    expect(statuses.map((r) => r.type)).toContain('edit');
  }, 90_000);

  it('refuses what WhatsApp would refuse, with our SQLSTATE and a hint naming it, and queues nothing', async () => {
    const contact = sim.contact(await randomPhone());
    const asked = await contact.sendText(s.jid, 'hola');
    await waitFor(async () => (await db.sql`select 1 from inbound_messages where wa_message_id = ${asked}`)[0], 'the message stored');
    const old = await queueText(db, s, contact.phone, 'old');
    await sentRow(old.id);
    // not due for an hour: it stays queued (and holds back this session's later rows until it is removed)
    const queued = await queueText(db, s, contact.phone, 'later', 3_600_000);
    await db.sql`update outbound_messages set sent_at = now() - interval '16 minutes' where id = ${old.id}`;
    await db.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, message_type, text, wa_timestamp)
      values (${s.sessionId}, ${s.userId}, 'HIDDEN1', '120363000000000001@g.us', '12345678901234@lid', 'text', 'hi', now())`;
    const before = (await db.sql`select count(*)::int as n from outbound_messages where session_id = ${s.sessionId}`)[0]!.n;

    const cases: [() => Promise<unknown>, string, string | undefined][] = [
      [() => act('reaction', 'NOSUCHID', '👍'), 'WL404', 'target_not_found'],
      [() => act('edit', asked, 'changed'), 'WL403', 'not_your_message'],
      [() => act('revoke', asked, null), 'WL403', 'not_your_message'],
      [() => act('edit', queued.waId, 'changed'), 'WL409', 'target_not_sent'],
      [() => act('edit', old.waId, 'too late'), 'WL409', 'edit_window_passed'],
      [() => act('reaction', 'HIDDEN1', '👍'), 'WL409', 'recipient_unknown'],
      [() => act('reaction', asked, 'ok'), '23514', undefined],
      [() => act('reaction', asked, '👍 👍'), '23514', undefined],
      [() => act('revoke', old.waId, 'text'), '23514', undefined],
    ];
    for (const [run, code, hint] of cases) {
      const error = await sqlError(run);
      expect([error.code, error.hint], String(run)).toEqual([code, hint]);
    }
    expect((await db.sql`select count(*)::int as n from outbound_messages where session_id = ${s.sessionId}`)[0]!.n).toBe(before);
    await db.sql`delete from outbound_messages where id = ${queued.id}`;
    // a delete for everyone is still allowed after the edit window
    await sentRow(await act('revoke', old.waId, null));
    await contact.waitUntil(() => contact.repActions().revoked.get(old.waId), 'the late deletion on the phone');
  }, 90_000);
});
