// Rep action rows (outbound_messages with content_type reaction/edit/revoke/read) through PostgREST, as the caller.
import type { Tables } from '../../_shared/database.types.ts';
import { ApiError } from '../../_shared/api-error.ts';
import { isRepActionType, type RepActionType } from '../../_shared/rep-actions.ts';
import { type SqlstateOverrides, toApiError } from '../../_shared/postgrest-error.ts';
import type { RepActionView } from '../schemas/action.ts';
import type { Db } from '../types.ts';

const ACTION_COLUMNS = 'id,session_id,content_type,target_wa_message_id,text,status,wa_message_id,error_code,error,created_at,sent_at';
type ActionRow = Pick<Tables<'outbound_messages'>,
  'id' | 'session_id' | 'content_type' | 'target_wa_message_id' | 'text' | 'status' | 'wa_message_id' | 'error_code' | 'error' | 'created_at' | 'sent_at'>;

function toActionView(row: ActionRow): RepActionView {
  if (!isRepActionType(row.content_type) || row.target_wa_message_id === null) {
    throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: { notAnAction: row.id } });
  }
  const { content_type: action, target_wa_message_id, ...rest } = row;
  return { ...rest, action, target_wa_message_id };
}

/** Queues an action; the insert trigger refuses with a hint that becomes the code (target_not_found, edit_window_passed...). */
export async function insertRepAction(db: Db, action: { sessionId: string; userId: string; type: RepActionType; target: string; text: string | null },
  overrides: SqlstateOverrides = {}): Promise<RepActionView> {
  const { data, error } = await db.from('outbound_messages').insert({
    session_id: action.sessionId, user_id: action.userId, content_type: action.type, target_wa_message_id: action.target, text: action.text,
  } as never).select(ACTION_COLUMNS);
  if (error) throw toApiError(error, { '42501': ['session_not_found', 'No such session'], ...overrides });
  return toActionView(data[0] as ActionRow);
}

export async function findRepAction(db: Db, id: string): Promise<RepActionView | null> {
  const { data, error } = await db.from('outbound_messages').select(ACTION_COLUMNS).eq('id', id).limit(1);
  if (error) throw toApiError(error);
  return data[0] ? toActionView(data[0] as ActionRow) : null;
}

/** mark_conversation_read as the caller: the queued row's id, or null when nothing was unread. */
export async function markConversationRead(db: Db, contactId: string): Promise<string | null> {
  const { data, error } = await db.rpc('mark_conversation_read', { p_contact_id: contactId });
  if (error) throw toApiError(error);
  return (data as string | null) ?? null;
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
