// The app's single supabase-js client, configured at runtime (window.__WL_CONFIG__ from /config.js)
// so one build serves any stack; Vite env vars are the dev-time fallback.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '../../../supabase/functions/_shared/database.types.ts';

/** supabase-js typed with the generated schema (supabase/functions/_shared/database.types.ts). */
export type AppSupabase = SupabaseClient<Database>;

export interface AppConfig {
  supabaseUrl: string;
  supabaseAnonKey: string;
}

export function readAppConfig(): AppConfig | null {
  const runtime = window.__WL_CONFIG__;
  const supabaseUrl = runtime?.supabaseUrl || import.meta.env.VITE_SUPABASE_URL;
  const supabaseAnonKey = runtime?.supabaseAnonKey || import.meta.env.VITE_SUPABASE_ANON_KEY;
  if (!supabaseUrl || !supabaseAnonKey) return null;
  return { supabaseUrl, supabaseAnonKey };
}

let client: AppSupabase | null = null;

export function getSupabase(config: AppConfig): AppSupabase {
  client ??= createClient<Database>(config.supabaseUrl, config.supabaseAnonKey, {
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
  });
  return client;
}

/** A unique Realtime topic: reusing a topic while the old channel is still leaving breaks `.on()`. */
export function channelName(prefix: string): string {
  return `${prefix}:${Math.random().toString(36).slice(2, 10)}`;
}
