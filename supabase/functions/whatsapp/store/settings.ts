// configuracion_mensajeria_usuario and the webhook secret through PostgREST, as the caller (RLS decides).
import type { SupabaseClient } from '@supabase/supabase-js';
import { ApiError } from '../../_shared/api-error.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';
import type { MessagingConfig } from '../schemas/settings.ts';

export const SETTINGS_COLUMNS = 'platform,name,active,config,updated_at';

export interface SettingsRow {
  platform: 'whatsapp';
  name: string | null;
  active: boolean;
  config: MessagingConfig;
  updated_at: string | null;
}

const invalidSettings = ['invalid_settings'] as const;

export async function findSettings(db: SupabaseClient, userId: string): Promise<SettingsRow | null> {
  const { data, error } = await db.from('configuracion_mensajeria_usuario').select(SETTINGS_COLUMNS)
    .eq('user_id', userId).eq('platform', 'whatsapp').limit(1);
  if (error) throw toApiError(error);
  return ((data ?? []) as unknown as SettingsRow[])[0] ?? null;
}

export async function saveSettings(
  db: SupabaseClient,
  settings: { name: string | null; active: boolean; config: MessagingConfig },
): Promise<SettingsRow> {
  const { data, error } = await db.rpc('save_messaging_settings', {
    p_name: settings.name, p_active: settings.active, p_config: settings.config, p_platform: 'whatsapp',
  });
  if (error) throw toApiError(error, { WL422: invalidSettings, '23514': invalidSettings });
  const row = (Array.isArray(data) ? data[0] : data) as SettingsRow | null;
  if (!row) throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: 'save returned no row' });
  return row;
}

/** When the caller's webhook secret was set, or null. */
export async function secretCreatedAt(db: SupabaseClient): Promise<string | null> {
  const { data, error } = await db.rpc('webhook_secret_created_at');
  if (error) throw toApiError(error);
  return (data as string | null) ?? null;
}

/** Stores `secret` (or a new random one) and returns it: the only time it leaves the database. */
export async function rotateSecret(db: SupabaseClient, secret: string | null): Promise<string> {
  const { data, error } = await db.rpc('rotate_webhook_secret', { p_secret: secret });
  if (error) throw toApiError(error, { WL422: ['invalid_webhook_secret'] });
  if (typeof data !== 'string') throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: 'no secret returned' });
  return data;
}
