// Calls to the `whatsapp` Edge Function. Errors come back as { error: { code, message } }.
import { FunctionsFetchError, FunctionsHttpError } from '@supabase/supabase-js';
import type { AppSupabase } from './supabase.ts';
import type { OutboundMessage, OutboundStatus, SessionStatus, WhatsappSession } from './types.ts';

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status?: number) {
    super(message);
    this.name = 'ApiError';
  }
}

type Method = 'GET' | 'POST' | 'PUT';

export async function invoke<T>(supabase: AppSupabase, path: string, method: Method, body?: object): Promise<T> {
  const { data, error } = await supabase.functions.invoke<T>(path, { method, ...(body ? { body } : {}) });
  if (error) throw await toApiError(error);
  return data as T;
}

async function toApiError(error: unknown): Promise<ApiError> {
  if (error instanceof FunctionsHttpError) {
    const response = error.context as Response;
    try {
      const payload = (await response.json()) as { error?: { code?: string; message?: string } };
      if (payload.error?.message) {
        return new ApiError(payload.error.code ?? 'error', payload.error.message, response.status);
      }
    } catch {
      // not JSON: fall through
    }
    return new ApiError('http_error', `HTTP ${response.status}`, response.status);
  }
  if (error instanceof FunctionsFetchError) return new ApiError('network', error.message);
  return new ApiError('error', error instanceof Error ? error.message : String(error));
}

export interface LinkRequest {
  method?: 'qr' | 'pairing_code';
  phone?: string;
}

/** The function's session shape (GET/POST /sessions): the QR is nested, connector columns are left out. */
export interface SessionView {
  id: string;
  status: SessionStatus;
  link_method: 'qr' | 'pairing_code';
  phone_number: string | null;
  push_name: string | null;
  qr: { value: string; expires_at: string } | null;
  pairing_code: string | null;
  last_error: string | null;
  last_disconnect_code: number | null;
  connected_at: string | null;
  disconnected_at: string | null;
  created_at: string;
  updated_at: string;
  /** the row itself (select / Realtime) carries them; the new-chat cap is not in the function's answer */
  restricted_until?: string | null;
  restriction_kind?: string | null;
}

export function sessionFromView(view: SessionView): WhatsappSession {
  return {
    id: view.id,
    status: view.status,
    link_method: view.link_method,
    pairing_phone: null,
    qr: view.qr?.value ?? null,
    qr_expires_at: view.qr?.expires_at ?? null,
    pairing_code: view.pairing_code,
    phone_number: view.phone_number,
    push_name: view.push_name,
    last_error: view.last_error,
    last_disconnect_code: view.last_disconnect_code,
    reconnect_attempts: 0,
    connected_at: view.connected_at,
    disconnected_at: view.disconnected_at,
    restricted_until: view.restricted_until ?? null,
    restriction_kind: view.restriction_kind ?? null,
    new_chat_quota: null,
    new_chats_used: null,
    new_chat_cycle_ends_at: null,
    new_chat_cap_status: null,
    created_at: view.created_at,
    updated_at: view.updated_at,
  };
}

export async function requestLink(supabase: AppSupabase, request: LinkRequest = {}): Promise<WhatsappSession> {
  return sessionFromView(await invoke<SessionView>(supabase, 'whatsapp/sessions', 'POST', request));
}

export function sendSessionCommand(
  supabase: AppSupabase,
  sessionId: string,
  command: 'reconnect' | 'disconnect' | 'logout',
): Promise<unknown> {
  return invoke(supabase, `whatsapp/sessions/${encodeURIComponent(sessionId)}/${command}`, 'POST', {});
}

export interface SendMessageRequest {
  session_id?: string;
  to: string;
  text: string;
  idempotency_key?: string;
}

/** The function's outbound message shape (POST /messages): `to` is the normalised recipient. */
export interface OutboundView {
  id: string;
  session_id: string;
  to: string;
  text: string | null;
  wa_message_id: string;
  status: OutboundStatus;
  error_code: string | null;
  error: string | null;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
  failed_at: string | null;
}

export async function sendMessage(supabase: AppSupabase, request: SendMessageRequest): Promise<OutboundMessage> {
  const { to, ...view } = await invoke<OutboundView>(supabase, 'whatsapp/messages', 'POST', request);
  return { ...view, contact_id: null, recipient: to, content_type: 'text', media_path: null, media_file_name: null, media_mime_type: null, media_size_bytes: null, media_waveform: null, edited_at: null, deleted_at: null };
}
