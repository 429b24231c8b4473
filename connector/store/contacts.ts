// whatsapp_contacts: what the connector learned about a contact (record_whatsapp_contact merges it).
import type { Enums } from '../../supabase/functions/_shared/database.types.ts';
import { withDeadline, type Sql } from './db.ts';

export type PhoneSource = Enums<'contact_phone_source'>;

/** One sighting of a contact: its LID and/or phone number (E.164), names when WhatsApp gave them. */
export interface ContactSighting {
  lid: string | null;
  phone: string | null;
  phoneSource: PhoneSource | null;
  pushName?: string | null;
  savedName?: string | null;
  username?: string | null;
  /** a message from or to the contact (moves last_seen_at) */
  seen?: boolean;
}

/** A conversation a history sync listed: its contact's LID and/or phone, and its last message time (ISO). */
export interface HistoryChat {
  lid: string | null;
  phone: string | null;
  at: string | null;
}

export function makeContactStore(sql: Sql) {
  return {
    /** The contact's id (created, completed or merged). */
    async record(sessionId: string, s: ContactSighting): Promise<string> {
      const [row] = await withDeadline(sql<{ id: string }[]>`select record_whatsapp_contact(${sessionId}, ${s.lid}, ${s.phone},
        ${s.phone ? s.phoneSource : null}, ${s.pushName ?? null}, ${s.savedName ?? null}, ${s.username ?? null},
        ${s.seen ?? false}) as id`);
      return row!.id;
    },
    /** The 1:1 chats a history sync listed (existing chats, imported or not); returns how many contacts were marked. */
    async recordHistoryChats(sessionId: string, chats: HistoryChat[]): Promise<number> {
      if (chats.length === 0) return 0;
      const [row] = await withDeadline(sql<{ n: number }[]>`select record_history_chats(${sessionId}, ${sql.json(chats as never)}) as n`);
      return row!.n;
    },
    /** After a send: the outbound row points at its recipient's contact. */
    async recordOutbound(messageId: string, phone: string, lid: string | null): Promise<string> {
      const [row] = await withDeadline(sql<{ id: string }[]>`select record_outbound_contact(${messageId}, ${phone}, ${lid}) as id`);
      return row!.id;
    },
  };
}

export type ContactStore = ReturnType<typeof makeContactStore>;
