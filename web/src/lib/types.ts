// Row shapes the browser reads (RLS: only the signed-in user's rows), picked from the generated schema
// types: the statuses and columns are the database's, never re-typed here. Connector-only columns
// (leases, claims) are left out.
import type { Enums, Tables } from '../../../supabase/functions/_shared/database.types.ts';

export {
  ACTIVE_SESSION_STATUSES, REP_ACTION_REFUSALS, SENT_OUTBOUND_STATUSES, TERMINAL_SESSION_STATUSES,
} from '../../../supabase/functions/_shared/database.types.ts';

export type SessionStatus = Enums<'session_status'>;
export type OutboundStatus = Enums<'outbound_status'>;

export type WhatsappSession = Pick<Tables<'whatsapp_sessions'>,
  | 'id' | 'status' | 'link_method' | 'pairing_phone' | 'qr' | 'qr_expires_at' | 'pairing_code' | 'phone_number'
  | 'push_name' | 'last_error' | 'last_disconnect_code' | 'reconnect_attempts' | 'connected_at' | 'disconnected_at'
  | 'created_at' | 'updated_at' | 'restricted_until' | 'restriction_kind'
  // WhatsApp's cap on new chats, as the connector last heard it (null until then)
  | 'new_chat_quota' | 'new_chats_used' | 'new_chat_cycle_ends_at' | 'new_chat_cap_status'>;

export type OutboundMessage = Pick<Tables<'outbound_messages'>,
  | 'id' | 'session_id' | 'contact_id' | 'recipient' | 'text' | 'status' | 'error_code' | 'error' | 'created_at' | 'sent_at'
  | 'delivered_at' | 'read_at' | 'failed_at' | 'wa_message_id' | 'edited_at' | 'deleted_at'
  // its file, when content_type is a media kind
  | 'content_type' | 'media_path' | 'media_file_name' | 'media_mime_type' | 'media_size_bytes' | 'media_waveform'>;

export type InboundMessage = Pick<Tables<'inbound_messages'>,
  | 'id' | 'session_id' | 'contact_id' | 'sender_phone' | 'chat_jid' | 'push_name' | 'from_me' | 'message_type' | 'text'
  | 'wa_timestamp' | 'received_at' | 'wa_message_id' | 'read_at' | 'deleted_at'
  // the timeline: an ad lead's placeholder still waiting for its content, the contact's edits, history from the phone
  | 'pending' | 'edited_at' | 'previous_texts' | 'imported'
  // its file (media_kind null: none)
  | 'media_kind' | 'media_state' | 'media_path' | 'media_mime_type' | 'media_size_bytes' | 'media_file_name'
  | 'media_duration_seconds' | 'media_width' | 'media_height' | 'media_thumbnail' | 'media_waveform'>;

/** Who a message is with: the phone when WhatsApp gave it (null = number hidden), the names. */
export type WhatsappContact = Pick<Tables<'whatsapp_contacts'>, 'id' | 'phone_number' | 'push_name' | 'saved_name'>;
