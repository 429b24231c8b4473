// Entry point of the `whatsapp` Edge Function (Supabase runs this file; so does stack/ under Deno).
// Serves only when run as the main module, so tests can import app.ts without side effects.
import { createApp } from './app.ts';
import { loadConfigFromEnvironment } from './config.ts';

if (import.meta.main) {
  const config = loadConfigFromEnvironment();
  Deno.serve({ port: config.port }, createApp(config).fetch);
}
