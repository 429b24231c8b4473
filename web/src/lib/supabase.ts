// The app's single supabase-js client, configured at runtime (window.__WL_CONFIG__ from /config.js)
// so one build serves any stack; Vite env vars are the dev-time fallback.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '../../../supabase/functions/_shared/database.types.ts';

/** supabase-js typed with the generated schema (supabase/functions/_shared/database.types.ts). */
export type AppSupabase = SupabaseClient<Database>;

export interface AppConfig {
  supabaseUrl: string;
  supabasePublishableKey: string;
}

export function readAppConfig(): AppConfig | null {
  const runtime = window.__WL_CONFIG__;
  const supabaseUrl = runtime?.supabaseUrl || import.meta.env.VITE_SUPABASE_URL;
  const supabasePublishableKey = runtime?.supabasePublishableKey || import.meta.env.VITE_SUPABASE_PUBLISHABLE_KEY;
  if (!supabaseUrl || !supabasePublishableKey) return null;
  return { supabaseUrl, supabasePublishableKey };
}

let client: AppSupabase | null = null;

export function getSupabase(config: AppConfig): AppSupabase {
  client ??= createClient<Database>(config.supabaseUrl, config.supabasePublishableKey, {
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
  });
  return client;
}

/** A unique Realtime topic: reusing a topic while the old channel is still leaving breaks `.on()`. */
export function channelName(prefix: string): string {
  return `${prefix}:${Math.random().toString(36).slice(2, 10)}`;
}
