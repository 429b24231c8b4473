/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_SUPABASE_URL?: string;
  readonly VITE_SUPABASE_PUBLISHABLE_KEY?: string;
}

interface Window {
  /** Written by /config.js, which the server serving the app generates at runtime. */
  __WL_CONFIG__?: { supabaseUrl?: string; supabasePublishableKey?: string };
}
