// Entry point of the `whatsapp` Edge Function (Supabase runs this file; so does stack/ under Deno).
// The only place that reads Deno.env.
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';

if (import.meta.main) {
  const app = createApp(loadConfig(Deno.env.toObject()));
  Deno.serve({ port: Number(Deno.env.get('PORT') ?? 8000) }, app.fetch);
}
