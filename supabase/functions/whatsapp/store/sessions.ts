// whatsapp_sessions and session_commands through PostgREST, as the caller (RLS decides).
import type { SupabaseClient } from '@supabase/supabase-js';
import { ApiError } from '../../_shared/api-error.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';

/** Statuses in which a session occupies the user's single active slot (public.is_active_session_status). */
export const ACTIVE_STATUSES = ['new', 'connecting', 'qr', 'pairing_code', 'connected', 'reconnecting', 'disconnected'] as const;

export const SESSION_COLUMNS = 'id,user_id,status,link_method,pairing_phone,phone_number,push_name,qr,qr_expires_at,' +
  'pairing_code,last_error,last_disconnect_code,connected_at,disconnected_at,last_activity_at,created_at,updated_at';

export interface SessionRow {
  id: string;
  user_id: string;
  status: string;
  link_method: string;
  pairing_phone: string | null;
  phone_number: string | null;
  push_name: string | null;
  qr: string | null;
  qr_expires_at: string | null;
  pairing_code: string | null;
  last_error: string | null;
  last_disconnect_code: number | null;
  connected_at: string | null;
  disconnected_at: string | null;
  last_activity_at: string;
  created_at: string;
  updated_at: string;
}

export interface CommandRow {
  id: number;
  session_id: string;
  command: string;
  status: string;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export type SessionCommand = 'reconnect' | 'disconnect' | 'logout';

export function isActiveStatus(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/** A single row from an RPC that returns one composite (PostgREST answers with an object or a 1-row array). */
function singleRow<T>(data: unknown): T {
  const row = Array.isArray(data) ? data[0] : data;
  if (!row || typeof row !== 'object') throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: { reply: data } });
  return row as T;
}

export async function findSession(db: SupabaseClient, sessionId: string): Promise<SessionRow | undefined> {
  const { data, error } = await db.from('whatsapp_sessions').select(SESSION_COLUMNS).eq('id', sessionId).limit(1);
  if (error) throw toApiError(error);
  return (data as unknown as SessionRow[])[0];
}

export async function findActiveSession(db: SupabaseClient, userId: string): Promise<SessionRow | undefined> {
  const { data, error } = await db.from('whatsapp_sessions').select(SESSION_COLUMNS)
    .eq('user_id', userId).in('status', [...ACTIVE_STATUSES]).limit(1);
  if (error) throw toApiError(error);
  return (data as unknown as SessionRow[])[0];
}

export async function findLatestSession(db: SupabaseClient, userId: string): Promise<SessionRow | undefined> {
  const { data, error } = await db.from('whatsapp_sessions').select(SESSION_COLUMNS)
    .eq('user_id', userId).order('updated_at', { ascending: false }).order('id', { ascending: false }).limit(1);
  if (error) throw toApiError(error);
  return (data as unknown as SessionRow[])[0];
}

export async function requestLink(
  db: SupabaseClient,
  method: 'qr' | 'pairing_code',
  pairingPhone: string | null,
): Promise<SessionRow> {
  const { data, error } = await db.rpc('request_whatsapp_link', { p_link_method: method, p_pairing_phone: pairingPhone });
  if (error) throw toApiError(error, { WL422: ['invalid_request'], WL409: ['session_state_conflict'] });
  return singleRow<SessionRow>(data);
}

export async function requestCommand(db: SupabaseClient, sessionId: string, command: SessionCommand): Promise<CommandRow> {
  const { data, error } = await db.rpc('request_session_command', { p_session_id: sessionId, p_command: command });
  if (error) {
    throw toApiError(error, {
      WL404: ['session_not_found', 'No such session'],
      WL409: ['session_state_conflict'],
      WL422: ['invalid_request'],
    });
  }
  return singleRow<CommandRow>(data);
}
