// rateLimit(): a per-user limit that holds across function instances, counted in Postgres by
// consume_api_rate_limit(). Only the service role may call that function (a user calling it could choose
// the window and reset their own count, issue 16 item 9), so this middleware calls it with the project's
// secret key for the user requireUser() verified; bucket, limit and window come from this function's config.
import { createClient } from '@supabase/supabase-js';
import type { MiddlewareHandler } from 'hono';
import type { Database } from '../../_shared/database.types.ts';
import { ApiError } from '../../_shared/api-error.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';
import type { Config } from '../config.ts';
import type { AppEnv } from '../types.ts';

export interface RateLimitOptions {
  bucket: string;
  limit: number;
  windowSeconds: number;
}

type Counter = ReturnType<typeof createClient<Database>>;

/** One service client for every limiter of an app (it holds no user state). */
export function rateLimitCounter(config: Pick<Config, 'supabaseUrl' | 'supabaseSecretKey'>): Counter {
  return createClient<Database>(config.supabaseUrl, config.supabaseSecretKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

export function rateLimit(counter: Counter, { bucket, limit, windowSeconds }: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    const { data, error } = await counter.rpc('consume_api_rate_limit', {
      p_user: c.get('user').id,
      p_bucket: bucket,
      p_limit: limit,
      p_window_seconds: windowSeconds,
    });
    if (error) throw toApiError(error);
    const verdict = (Array.isArray(data) ? data[0] : data) as { allowed?: boolean; retry_after_seconds?: number } | null;
    if (!verdict || typeof verdict.allowed !== 'boolean') {
      throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: { rateLimitReply: data } });
    }
    c.header('RateLimit-Policy', `${limit};w=${windowSeconds}`);
    if (!verdict.allowed) {
      const retryAfter = String(Math.max(1, verdict.retry_after_seconds ?? windowSeconds));
      throw new ApiError(429, 'rate_limited', `Too many requests: at most ${limit} per ${windowSeconds} s, try again in ${retryAfter} s`, {
        headers: { 'Retry-After': retryAfter },
      });
    }
    await next();
  };
}
