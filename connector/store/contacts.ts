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

export function makeContactStore(sql: Sql) {
  return {
    /** The contact's id (created, completed or merged). */
    async record(sessionId: string, s: ContactSighting): Promise<string> {
      const [row] = await withDeadline(sql<{ id: string }[]>`select record_whatsapp_contact(${sessionId}, ${s.lid}, ${s.phone},
        ${s.phone ? s.phoneSource : null}, ${s.pushName ?? null}, ${s.savedName ?? null}, ${s.username ?? null},
        ${s.seen ?? false}) as id`);
      return row!.id;
    },
    /** After a send: the outbound row points at its recipient's contact. */
    async recordOutbound(messageId: string, phone: string, lid: string | null): Promise<string> {
      const [row] = await withDeadline(sql<{ id: string }[]>`select record_outbound_contact(${messageId}, ${phone}, ${lid}) as id`);
      return row!.id;
    },
  };
}

export type ContactStore = ReturnType<typeof makeContactStore>;
