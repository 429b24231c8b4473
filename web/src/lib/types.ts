// Row shapes the browser reads (RLS: only the signed-in user's rows). Connector-only columns omitted.
export type SessionStatus =
  | 'new' | 'connecting' | 'qr' | 'pairing_code' | 'connected' | 'reconnecting'
  | 'disconnected' | 'logged_out' | 'replaced' | 'failed' | 'expired';

export interface WhatsappSession {
  id: string;
  status: SessionStatus;
  link_method: 'qr' | 'pairing_code';
  pairing_phone: string | null;
  qr: string | null;
  qr_expires_at: string | null;
  pairing_code: string | null;
  phone_number: string | null;
  push_name: string | null;
  last_error: string | null;
  last_disconnect_code: number | null;
  reconnect_attempts: number;
  connected_at: string | null;
  disconnected_at: string | null;
  created_at: string;
  updated_at: string;
}

export type OutboundStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface OutboundMessage {
  id: string;
  session_id: string;
  recipient: string;
  text: string | null;
  status: OutboundStatus;
  error_code: string | null;
  error: string | null;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
  failed_at: string | null;
}

export interface InboundMessage {
  id: number;
  session_id: string;
  sender_phone: string | null;
  chat_jid: string;
  push_name: string | null;
  from_me: boolean;
  message_type: string;
  text: string | null;
  wa_timestamp: string;
  received_at: string;
}

/** Statuses in which the session holds the user's one active slot (mirrors is_active_session_status). */
export const ACTIVE_STATUSES: readonly SessionStatus[] = [
  'new', 'connecting', 'qr', 'pairing_code', 'connected', 'reconnecting', 'disconnected',
];
