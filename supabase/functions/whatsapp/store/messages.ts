// outbound_messages and inbound_messages through PostgREST, as the caller (RLS decides).
import type { SupabaseClient } from '@supabase/supabase-js';
import type { Tables, TablesInsert } from '../../_shared/database.types.ts';
import { ApiError } from '../../_shared/api-error.ts';
import { REP_ACTION_LIST } from '../../_shared/rep-actions.ts';
import { type DatabaseError, toApiError } from '../../_shared/postgrest-error.ts';
import type { Db } from '../types.ts';
import { type Cursor, compareNewestFirst, type Keyed } from './cursor.ts';

export const OUTBOUND_COLUMNS = 'id,session_id,contact_id,recipient,content_type,text,target_wa_message_id,media_path,media_file_name,media_mime_type,media_size_bytes,quoted_wa_message_id,idempotency_key,status,attempts,wa_message_id,error_code,error,created_at,updated_at,sent_at,delivered_at,read_at,failed_at';
/** A listed outbound row: the row, and the preview it was sent with. */
const LISTED_OUTBOUND_COLUMNS = `${OUTBOUND_COLUMNS},media_thumbnail,edited_at,previous_texts,deleted_at`;
const INBOUND_COLUMNS = 'id,session_id,wa_message_id,chat_jid,sender_jid,sender_phone,push_name,from_me,message_type,text,wa_timestamp,received_at,contact_id,' +
  'media_kind,media_state,media_path,media_mime_type,media_size_bytes,media_duration_seconds,media_width,media_height,media_file_name,media_error,' +
  'media_thumbnail,media_waveform,pending,edited_at,previous_texts,deleted_at,imported';

export type OutboundRow = Pick<Tables<'outbound_messages'>,
  | 'id' | 'session_id' | 'contact_id' | 'recipient' | 'content_type' | 'text' | 'target_wa_message_id' | 'media_path' | 'media_file_name'
  | 'media_mime_type' | 'media_size_bytes' | 'quoted_wa_message_id' | 'idempotency_key' | 'status' | 'attempts'
  | 'wa_message_id' | 'error_code' | 'error' | 'created_at' | 'updated_at' | 'sent_at' | 'delivered_at' | 'read_at'
  | 'failed_at'>;

export type ListedOutboundRow = OutboundRow
  & Pick<Tables<'outbound_messages'>, 'media_thumbnail' | 'edited_at' | 'previous_texts' | 'deleted_at'>;

export type InboundRow = Pick<Tables<'inbound_messages'>,
  | 'id' | 'session_id' | 'wa_message_id' | 'chat_jid' | 'sender_jid' | 'sender_phone' | 'push_name' | 'from_me'
  | 'message_type' | 'text' | 'wa_timestamp' | 'received_at' | 'contact_id' | 'media_kind' | 'media_state' | 'media_path'
  | 'media_mime_type' | 'media_size_bytes' | 'media_duration_seconds' | 'media_width' | 'media_height' | 'media_file_name'
  | 'media_error' | 'media_thumbnail' | 'media_waveform' | 'pending' | 'edited_at' | 'previous_texts' | 'deleted_at' | 'imported'>;

export type ReactionRow = Pick<Tables<'message_reactions'>, 'session_id' | 'wa_message_id' | 'emoji' | 'from_me' | 'reacted_at'>;
/** The reactions of a page of messages, by `${session_id}:${wa_message_id}`. */
export type ReactionsByMessage = Map<string, ReactionRow[]>;
export const reactionKey = (sessionId: string, waMessageId: string) => `${sessionId}:${waMessageId}`;

export type NewOutbound = Required<Pick<TablesInsert<'outbound_messages'>,
  | 'session_id' | 'user_id' | 'recipient' | 'content_type' | 'text' | 'media_path' | 'media_file_name'
  | 'quoted_wa_message_id' | 'idempotency_key'>> & { contact_id?: string | null } & Pick<TablesInsert<'outbound_messages'>, 'media_thumbnail'>;

export type InsertResult = { inserted: OutboundRow } | { duplicateKey: true };

export async function findOutboundByKey(db: Db, userId: string, key: string): Promise<OutboundRow | undefined> {
  const { data, error } = await db.from('outbound_messages').select(OUTBOUND_COLUMNS)
    .eq('user_id', userId).eq('idempotency_key', key).limit(1);
  if (error) throw toApiError(error);
  return data[0];
}

/**
 * Inserts one message (text, or media naming an object of the whatsapp-media bucket: the insert trigger
 * check_outbound_media refuses a missing, someone else's, empty, too large or unaccepted file). A clash on
 * (user_id, idempotency_key) is reported, not thrown.
 */
export async function insertOutbound(db: Db, message: NewOutbound): Promise<InsertResult> {
  const { data, error } = await db.from('outbound_messages')
    .insert(message)
    .select(OUTBOUND_COLUMNS);
  if (error) {
    if ((error as DatabaseError).code === '23505' && message.idempotency_key !== null) return { duplicateKey: true };
    throw toApiError(error, {
      '23503': ['session_not_found', 'No such session'],
      '42501': ['session_not_found', 'No such session'],
      '23514': ['invalid_message', 'The message breaks a data rule (check the recipient and the text)'],
      WL403: ['media_not_yours'],
      WL404: ['media_not_found'],
      WL411: ['media_empty'],
      WL413: ['media_too_large'],
      WL415: ['media_type_not_accepted'],
    });
  }
  const row = data[0];
  if (!row) throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: 'insert returned no row' });
  return { inserted: row };
}

export type ListedMessage =
  | (Keyed & { direction: 'outbound'; row: ListedOutboundRow })
  | (Keyed & { direction: 'inbound'; row: InboundRow });

interface TableSpec {
  table: 'outbound_messages' | 'inbound_messages';
  columns: string;
  timeColumn: 'created_at' | 'received_at';
  kind: 'o' | 'i';
}

const OUTBOUND: TableSpec = { table: 'outbound_messages', columns: LISTED_OUTBOUND_COLUMNS, timeColumn: 'created_at', kind: 'o' };
const INBOUND: TableSpec = { table: 'inbound_messages', columns: INBOUND_COLUMNS, timeColumn: 'received_at', kind: 'i' };

/**
 * Up to `limit` rows of one table that come after `cursor` in the merged order
 * (time desc, outbound before inbound at the same instant, id desc). Only plain filters
 * (eq/lt/lte), so it works on any PostgREST.
 */
async function pageOf<Row>(
  db: Db,
  spec: TableSpec,
  filter: MessageFilter,
  cursor: Cursor | undefined,
  limit: number,
): Promise<Row[]> {
  // One paging routine for two tables: supabase-js cannot type a builder over a union of tables, so this
  // reads through the untyped client and listMessages types the rows (the columns are the spec's).
  const untyped = db as unknown as SupabaseClient;
  const base = () => {
    let q = untyped.from(spec.table).select(spec.columns).eq('user_id', filter.userId);
    // a reaction, edit or delete row is not a message of the list: its effect shows on the message it targets
    if (spec.kind === 'o') q = q.not('content_type', 'in', REP_ACTION_LIST);
    if (filter.sessionId) q = q.eq('session_id', filter.sessionId);
    if (filter.contactId) q = q.eq('contact_id', filter.contactId);
    return q.order(spec.timeColumn, { ascending: false }).order('id', { ascending: false }).limit(limit);
  };
  const run = async (q: ReturnType<typeof base>) => {
    const { data, error } = await q;
    if (error) throw toApiError(error);
    return data as Row[];
  };
  if (!cursor) return run(base());
  if (cursor.k === spec.kind) {
    const same = await run(base().eq(spec.timeColumn, cursor.t).lt('id', cursor.i));
    if (same.length >= limit) return same;
    return [...same, ...(await run(base().lt(spec.timeColumn, cursor.t)))].slice(0, limit);
  }
  // Across tables at the same instant outbound comes first: after an outbound cursor every inbound row
  // of that instant is still to come; after an inbound cursor no outbound row of that instant is.
  return run(spec.kind === 'i' ? base().lte(spec.timeColumn, cursor.t) : base().lt(spec.timeColumn, cursor.t));
}

/** Whose messages: the caller's, optionally of one session and one contact. */
export interface MessageFilter { userId: string; sessionId?: string; contactId?: string }

export async function listMessages(
  db: Db,
  filter: MessageFilter,
  cursor: Cursor | undefined,
  limit: number,
): Promise<{ items: ListedMessage[]; hasMore: boolean }> {
  const [outbound, inbound] = await Promise.all([
    pageOf<ListedOutboundRow>(db, OUTBOUND, filter, cursor, limit + 1),
    pageOf<InboundRow>(db, INBOUND, filter, cursor, limit + 1),
  ]);
  const keyed: ListedMessage[] = [
    ...outbound.map((row) => ({ direction: 'outbound' as const, t: row.created_at, k: 'o' as const, i: row.id, row })),
    ...inbound.map((row) => ({ direction: 'inbound' as const, t: row.received_at, k: 'i' as const, i: row.id, row })),
  ];
  // Each list is already in order; a stable sort keeps their internal (id) order at equal keys.
  keyed.sort(compareNewestFirst);
  return { items: keyed.slice(0, limit), hasMore: keyed.length > limit };
}

/** The reactions to these messages (one query; ids the caller cannot see have none). */
export async function reactionsOf(db: Db, items: ListedMessage[]): Promise<ReactionsByMessage> {
  const ids = [...new Set(items.map((item) => item.row.wa_message_id))];
  const found: ReactionsByMessage = new Map();
  if (ids.length === 0) return found;
  const { data, error } = await db.from('message_reactions').select('session_id,wa_message_id,emoji,from_me,reacted_at')
    .in('wa_message_id', ids).order('from_me').order('reacted_at');
  if (error) throw toApiError(error);
  for (const row of data ?? []) {
    const key = reactionKey(row.session_id, row.wa_message_id);
    found.set(key, [...(found.get(key) ?? []), row]);
  }
  return found;
}
