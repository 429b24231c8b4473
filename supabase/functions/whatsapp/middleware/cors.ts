// CORS for the web app (and any browser-based CRM). Origins come from WHATSAPP_ALLOWED_ORIGINS.
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { Config } from '../config.ts';
import type { AppEnv } from '../types.ts';

export function allowCors(allowedOrigins: Config['allowedOrigins']): MiddlewareHandler<AppEnv> {
  return cors({
    origin: allowedOrigins === '*' ? '*' : [...allowedOrigins],
    allowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'],
    // supabase-js's canonical list for Edge Functions (@supabase/supabase-js/cors: authorization, x-client-info,
    // apikey, content-type, x-retry-count), plus our Idempotency-Key and x-region.
    allowHeaders: ['Authorization', 'apikey', 'Content-Type', 'Idempotency-Key', 'x-client-info', 'x-region', 'x-retry-count'],
    exposeHeaders: ['Retry-After', 'RateLimit-Policy', 'Idempotent-Replayed', 'Location', 'X-Request-Id'],
    maxAge: 600,
  });
}
