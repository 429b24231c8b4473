// What happens to messages after they arrived: edits, deletes for everyone, reactions (20261207001100_timeline.sql).
import { withDeadline, type Sql } from './db.ts';

export function makeTimelineStore(sql: Sql) {
  return {
    /** The author (from_me: the owner) edited a stored message: true when the row changed. */
    async recordEdit(sessionId: string, waMessageId: string, fromMe: boolean, text: string, editedAt: Date): Promise<boolean> {
      const [row] = await withDeadline(sql`select record_inbound_edit(${sessionId}, ${waMessageId}, ${fromMe}, ${text}, ${editedAt}) as ok`);
      return Boolean(row?.ok);
    },
    async recordDeletion(sessionId: string, waMessageId: string, fromMe: boolean, deletedAt: Date): Promise<boolean> {
      const [row] = await withDeadline(sql`select record_inbound_deletion(${sessionId}, ${waMessageId}, ${fromMe}, ${deletedAt}) as ok`);
      return Boolean(row?.ok);
    },
    /** A reaction of one side of the chat to a message (received or sent); an empty emoji removes it. */
    async recordReaction(sessionId: string, waMessageId: string, fromMe: boolean, contactId: string | null, emoji: string,
      reactedAt: Date): Promise<boolean> {
      const [row] = await withDeadline(sql`select record_message_reaction(${sessionId}, ${waMessageId}, ${fromMe}, ${contactId},
        ${emoji}, ${reactedAt}) as ok`);
      return Boolean(row?.ok);
    },
  };
}

export type TimelineStore = ReturnType<typeof makeTimelineStore>;
