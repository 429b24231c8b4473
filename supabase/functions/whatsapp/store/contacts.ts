// whatsapp_contacts and the whatsapp_conversations view through PostgREST, as the caller (RLS decides).
import type { Tables } from '../../_shared/database.types.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';
import type { Db } from '../types.ts';
import type { ConversationCursor } from './cursor.ts';

export type ContactRow = Pick<Tables<'whatsapp_contacts'>, 'id' | 'session_id' | 'phone_number' | 'push_name' | 'saved_name'>;

// one literal (not a concatenation): supabase-js infers the row type from it
const CONVERSATION_COLUMNS = 'contact_id,session_id,phone_number,number_hidden,display_name,last_message_text,last_message_type,last_message_from_me,last_message_pending,last_message_at,unread_count,last_activity_at';
export type ConversationRow = Pick<Tables<'whatsapp_conversations'>,
  | 'contact_id' | 'session_id' | 'phone_number' | 'number_hidden' | 'display_name' | 'last_message_text' | 'last_message_type'
  | 'last_message_from_me' | 'last_message_pending' | 'last_message_at' | 'unread_count' | 'last_activity_at'>;

/** The contacts of a page of messages, by id (ids the caller cannot see are simply absent). */
export async function contactsByIds(db: Db, ids: string[]): Promise<Map<string, ContactRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const { data, error } = await db.from('whatsapp_contacts').select('id,session_id,phone_number,push_name,saved_name').in('id', unique);
  if (error) throw toApiError(error);
  return new Map((data ?? []).map((row) => [row.id, row]));
}

/**
 * A page of the caller's conversations, newest last message first; at the same instant by contact id. The key
 * (last_message_at, contact_id) is unique and changes only when a message arrives (the conversation moves to
 * the top), so paging with it never repeats or skips a conversation that stayed put. Fetches one more row
 * than asked to tell whether another page follows.
 */
export async function listConversations(
  db: Db,
  filter: { userId: string; sessionId?: string },
  after: ConversationCursor | undefined,
  limit: number,
): Promise<{ rows: ConversationRow[]; hasMore: boolean }> {
  let q = db.from('whatsapp_conversations').select(CONVERSATION_COLUMNS).eq('user_id', filter.userId)
    .not('last_message_at', 'is', null);
  if (filter.sessionId) q = q.eq('session_id', filter.sessionId);
  // the cursor's values are checked (a timestamp, a uuid) before they reach the filter; quoted all the same
  if (after) q = q.or(`last_message_at.lt."${after.t}",and(last_message_at.eq."${after.t}",contact_id.gt.${after.c})`);
  const { data, error } = await q.order('last_message_at', { ascending: false })
    .order('contact_id', { ascending: true }).limit(limit + 1);
  if (error) throw toApiError(error);
  const rows = data ?? [];
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}
