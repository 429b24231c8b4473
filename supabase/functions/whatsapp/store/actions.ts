// Rep action rows (outbound_messages with content_type reaction/edit/revoke/read) through PostgREST, as the caller.
import type { Tables } from '../../_shared/database.types.ts';
import { ApiError } from '../../_shared/api-error.ts';
import { isRepActionType, type RepActionType } from '../../_shared/rep-actions.ts';
import { type DatabaseError, type SqlstateOverrides, toApiError } from '../../_shared/postgrest-error.ts';
import type { RepActionView } from '../schemas/action.ts';
import type { Db } from '../types.ts';

const ACTION_COLUMNS = 'id,session_id,content_type,target_wa_message_id,text,status,wa_message_id,error_code,error,created_at,sent_at';
type ActionRow = Pick<Tables<'outbound_messages'>,
  'id' | 'session_id' | 'content_type' | 'target_wa_message_id' | 'text' | 'status' | 'wa_message_id' | 'error_code' | 'error' | 'created_at' | 'sent_at'>;

/** The action as the API shows it (also from a wider row: a replayed idempotency key's OutboundRow). */
export function toActionView(row: ActionRow): RepActionView {
  if (!isRepActionType(row.content_type) || row.target_wa_message_id === null) {
    throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: { notAnAction: row.id } });
  }
  return {
    id: row.id, session_id: row.session_id, action: row.content_type, target_wa_message_id: row.target_wa_message_id, text: row.text,
    status: row.status, wa_message_id: row.wa_message_id, error_code: row.error_code, error: row.error, created_at: row.created_at, sent_at: row.sent_at,
  };
}

/**
 * Queues an action; the insert trigger refuses with a hint that becomes the code (target_not_found, edit_window_passed...).
 * A clash on (user_id, idempotency_key) is reported, not thrown (as insertOutbound does).
 */
export async function insertRepAction(db: Db,
  action: { sessionId: string; userId: string; type: RepActionType; target: string; text: string | null; idempotencyKey: string | null },
  overrides: SqlstateOverrides = {}): Promise<RepActionView | { duplicateKey: true }> {
  const { data, error } = await db.from('outbound_messages').insert({
    session_id: action.sessionId, user_id: action.userId, content_type: action.type, target_wa_message_id: action.target, text: action.text,
    idempotency_key: action.idempotencyKey,
  } as never).select(ACTION_COLUMNS);
  if (error) {
    if ((error as DatabaseError).code === '23505' && action.idempotencyKey !== null) return { duplicateKey: true };
    throw toApiError(error, { '42501': ['session_not_found', 'No such session'], ...overrides });
  }
  return toActionView(data[0] as ActionRow);
}

export async function findRepAction(db: Db, id: string): Promise<RepActionView | null> {
  const { data, error } = await db.from('outbound_messages').select(ACTION_COLUMNS).eq('id', id).limit(1);
  if (error) throw toApiError(error);
  return data[0] ? toActionView(data[0] as ActionRow) : null;
}

/** mark_conversation_read as the caller: the queued row's id, null when nothing was unread, or the key's clash. */
export async function markConversationRead(db: Db, contactId: string, idempotencyKey: string | null): Promise<string | null | { duplicateKey: true }> {
  const { data, error } = await db.rpc('mark_conversation_read', { p_contact_id: contactId, ...(idempotencyKey === null ? {} : { p_idempotency_key: idempotencyKey }) });
  if (error) {
    if ((error as DatabaseError).code === '23505' && idempotencyKey !== null) return { duplicateKey: true };
    throw toApiError(error);
  }
  return (data as string | null) ?? null;
}

/** The contact of a received message (what a conversation read row targets), or null. */
export async function inboundContactOf(db: Db, sessionId: string, waMessageId: string): Promise<string | null> {
  const { data, error } = await db.from('inbound_messages').select('contact_id').eq('session_id', sessionId).eq('wa_message_id', waMessageId).limit(1);
  if (error) throw toApiError(error);
  return data[0]?.contact_id ?? null;
}

/**
 * Who a reply to this message goes to: the contact who sent it, or the recipient of ours (its phone, and its contact so
 * a number-hidden contact is addressed by contact_id); null when no such message.
 */
export async function replyRecipient(db: Db, sessionId: string, waMessageId: string): Promise<{ phone: string | null; contactId: string | null } | null> {
  const inbound = await db.from('inbound_messages').select('sender_phone,contact_id').eq('session_id', sessionId).eq('wa_message_id', waMessageId).limit(1);
  if (inbound.error) throw toApiError(inbound.error);
  if (inbound.data[0]) return { phone: inbound.data[0].sender_phone, contactId: inbound.data[0].contact_id };
  const outbound = await db.from('outbound_messages').select('recipient,contact_id,content_type').eq('session_id', sessionId).eq('wa_message_id', waMessageId).limit(1);
  if (outbound.error) throw toApiError(outbound.error);
  const row = outbound.data[0];
  return row && !isRepActionType(row.content_type) ? { phone: row.recipient, contactId: row.contact_id } : null;
}
