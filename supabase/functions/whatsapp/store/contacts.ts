// whatsapp_contacts and the whatsapp_conversations view through PostgREST, as the caller (RLS decides).
import type { Tables } from '../../_shared/database.types.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';
import type { Db } from '../types.ts';

export type ContactRow = Pick<Tables<'whatsapp_contacts'>, 'id' | 'phone_number' | 'push_name' | 'saved_name'>;

// one literal (not a concatenation): supabase-js infers the row type from it
const CONVERSATION_COLUMNS = 'contact_id,session_id,phone_number,number_hidden,display_name,last_message_text,last_message_type,last_message_from_me,last_message_pending,last_message_at,unread_count,last_activity_at';
export type ConversationRow = Pick<Tables<'whatsapp_conversations'>,
  | 'contact_id' | 'session_id' | 'phone_number' | 'number_hidden' | 'display_name' | 'last_message_text' | 'last_message_type'
  | 'last_message_from_me' | 'last_message_pending' | 'last_message_at' | 'unread_count' | 'last_activity_at'>;

/** The contacts of a page of messages, by id (ids the caller cannot see are simply absent). */
export async function contactsByIds(db: Db, ids: string[]): Promise<Map<string, ContactRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const { data, error } = await db.from('whatsapp_contacts').select('id,phone_number,push_name,saved_name').in('id', unique);
  if (error) throw toApiError(error);
  return new Map((data ?? []).map((row) => [row.id, row]));
}

/** The caller's conversations, most recent activity first. */
export async function listConversations(db: Db, filter: { userId: string; sessionId?: string }, limit: number): Promise<ConversationRow[]> {
  let q = db.from('whatsapp_conversations').select(CONVERSATION_COLUMNS).eq('user_id', filter.userId);
  if (filter.sessionId) q = q.eq('session_id', filter.sessionId);
  const { data, error } = await q.order('last_activity_at', { ascending: false, nullsFirst: false })
    .order('contact_id', { ascending: true }).limit(limit);
  if (error) throw toApiError(error);
  return data ?? [];
}
