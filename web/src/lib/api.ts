// Calls to the `whatsapp` Edge Function. Errors come back as { error: { code, message } }.
import { FunctionsFetchError, FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import type { OutboundMessage, WhatsappSession } from './types.ts';

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status?: number) {
    super(message);
    this.name = 'ApiError';
  }
}

type Method = 'GET' | 'POST';

async function invoke<T>(supabase: SupabaseClient, path: string, method: Method, body?: object): Promise<T> {
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

export function requestLink(supabase: SupabaseClient, request: LinkRequest = {}): Promise<WhatsappSession> {
  return invoke<WhatsappSession>(supabase, 'whatsapp/sessions', 'POST', request);
}

export function sendSessionCommand(
  supabase: SupabaseClient,
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

export function sendMessage(supabase: SupabaseClient, request: SendMessageRequest): Promise<OutboundMessage> {
  return invoke<OutboundMessage>(supabase, 'whatsapp/messages', 'POST', request);
}
