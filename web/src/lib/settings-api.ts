// The whatsapp function's /settings routes: the user's messaging settings and the webhook secret (shown once).
import { invoke } from './api.ts';
import type { AppSupabase } from './supabase.ts';

export const WEBHOOK_EVENT_TYPES = ['message.received', 'message.updated', 'message.status', 'session.status'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface MessagingConfig {
  pacing?: { min_interval_ms?: number; jitter_ms?: number };
  default_country?: string | null;
  history_import?: boolean;
  media_max_bytes?: number;
  typing_indicator?: boolean;
  webhook?: { url?: string | null; enabled?: boolean; events?: WebhookEventType[] };
}

export interface MessagingSettings {
  platform: 'whatsapp';
  name: string | null;
  active: boolean;
  config: MessagingConfig;
  webhook_secret: { set: boolean; created_at: string | null; value?: string };
  updated_at: string | null;
}

export function getSettings(supabase: AppSupabase): Promise<MessagingSettings> {
  return invoke<MessagingSettings>(supabase, 'whatsapp/settings', 'GET');
}

export function saveSettings(
  supabase: AppSupabase,
  settings: { name: string | null; active: boolean; config: MessagingConfig },
): Promise<MessagingSettings> {
  return invoke<MessagingSettings>(supabase, 'whatsapp/settings', 'PUT', settings);
}

export function rotateWebhookSecret(supabase: AppSupabase): Promise<{ secret: string; created_at: string }> {
  return invoke(supabase, 'whatsapp/settings/webhook-secret', 'POST', {});
}
