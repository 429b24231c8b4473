// whatsapp_sessions and session_commands through PostgREST, as the caller (RLS decides).
import { ACTIVE_SESSION_STATUSES, type Enums, type Tables } from '../../_shared/database.types.ts';
import { ApiError } from '../../_shared/api-error.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';
import type { Db } from '../types.ts';

export const SESSION_COLUMNS = 'id,user_id,status,link_method,pairing_phone,phone_number,push_name,qr,qr_expires_at,pairing_code,last_error,last_disconnect_code,connected_at,disconnected_at,last_activity_at,restricted_until,restriction_kind,created_at,updated_at';

export type SessionRow = Pick<Tables<'whatsapp_sessions'>,
  | 'id' | 'user_id' | 'status' | 'link_method' | 'pairing_phone' | 'phone_number' | 'push_name' | 'qr' | 'qr_expires_at'
  | 'pairing_code' | 'last_error' | 'last_disconnect_code' | 'connected_at' | 'disconnected_at' | 'last_activity_at'
  | 'restricted_until' | 'restriction_kind' | 'created_at' | 'updated_at'>;

export type CommandRow = Pick<Tables<'session_commands'>,
  'id' | 'session_id' | 'command' | 'status' | 'error' | 'created_at' | 'updated_at'>;

export type SessionCommand = Extract<Enums<'session_command'>, 'reconnect' | 'disconnect' | 'logout'>;

export function isActiveStatus(status: Enums<'session_status'>): boolean {
  return (ACTIVE_SESSION_STATUSES as readonly Enums<'session_status'>[]).includes(status);
}

/** A single row from an RPC that returns one composite (PostgREST answers with an object or a 1-row array). */
function singleRow<T>(data: unknown): T {
  const row = Array.isArray(data) ? data[0] : data;
  if (!row || typeof row !== 'object') throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: { reply: data } });
  return row as T;
}

export async function findSession(db: Db, sessionId: string): Promise<SessionRow | undefined> {
  const { data, error } = await db.from('whatsapp_sessions').select(SESSION_COLUMNS).eq('id', sessionId).limit(1);
  if (error) throw toApiError(error);
  return data[0];
}

export async function findActiveSession(db: Db, userId: string): Promise<SessionRow | undefined> {
  const { data, error } = await db.from('whatsapp_sessions').select(SESSION_COLUMNS)
    .eq('user_id', userId).in('status', [...ACTIVE_SESSION_STATUSES]).limit(1);
  if (error) throw toApiError(error);
  return data[0];
}

export async function findLatestSession(db: Db, userId: string): Promise<SessionRow | undefined> {
  const { data, error } = await db.from('whatsapp_sessions').select(SESSION_COLUMNS)
    .eq('user_id', userId).order('updated_at', { ascending: false }).order('id', { ascending: false }).limit(1);
  if (error) throw toApiError(error);
  return data[0];
}

export async function requestLink(
  db: Db,
  method: Enums<'link_method'>,
  pairingPhone: string | null,
): Promise<SessionRow> {
  const { data, error } = await db.rpc('request_whatsapp_link', { p_link_method: method, p_pairing_phone: pairingPhone ?? undefined });
  if (error) throw toApiError(error, { WL422: ['invalid_request'], WL409: ['session_state_conflict'] });
  return singleRow<SessionRow>(data);
}

export async function requestCommand(db: Db, sessionId: string, command: SessionCommand): Promise<CommandRow> {
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
