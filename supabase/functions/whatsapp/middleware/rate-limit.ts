// rateLimit(): a per-user limit that holds across function instances, counted in Postgres by
// consume_api_rate_limit() (SECURITY DEFINER, keyed by auth.uid() of the caller's JWT).
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../_shared/api-error.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';
import type { AppEnv } from '../types.ts';

export interface RateLimitOptions {
  bucket: string;
  limit: number;
  windowSeconds: number;
}

export function rateLimit({ bucket, limit, windowSeconds }: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    const { data, error } = await c.get('db').rpc('consume_api_rate_limit', {
      p_bucket: bucket,
      p_limit: limit,
      p_window: `${windowSeconds} seconds`,
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
