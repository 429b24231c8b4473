// requireUser(): verifies the caller's JWT in the handler (verify_jwt is off, as Supabase recommends for
// the new signing keys). supabase-js getClaims() verifies asymmetric tokens locally against the JWKS and
// falls back to GET /auth/v1/user for HS256 (legacy secret) tokens. The request then gets a supabase-js
// client carrying that same token, so RLS decides what the user may read and write.
import { createClient, isAuthApiError, isAuthRetryableFetchError, type SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '../../_shared/database.types.ts';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../_shared/api-error.ts';
import type { Config } from '../config.ts';
import type { AppEnv, Db } from '../types.ts';

const clientOptions = {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
} as const;

export interface RequireUserOptions {
  config: Pick<Config, 'supabaseUrl' | 'supabaseAnonKey'>;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** A token that is only an API key (anon / publishable), i.e. nobody is signed in. */
function isApiKeyOnly(token: string, anonKey: string): boolean {
  if (token === anonKey || token.startsWith('sb_publishable_')) return true;
  const payload = token.split('.')[1];
  if (!payload) return false;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { role?: unknown; sub?: unknown };
    return claims.role === 'anon' && claims.sub === undefined;
  } catch {
    return false;
  }
}

/**
 * getClaims() returns Auth errors, but throws whatever decoding a token that only looks like a JWT
 * throws (`abc.def.ghi`: "Invalid UTF-8 sequence", JSON that is not an object, an unknown `alg`).
 * Network failures come back as AuthRetryableFetchError, so anything thrown is the token's fault.
 */
async function verifyClaims(verifier: SupabaseClient, token: string) {
  try {
    return await verifier.auth.getClaims(token);
  } catch (cause) {
    return { data: null, error: cause instanceof Error ? cause : new Error(String(cause)) };
  }
}

export function createUserClient(config: RequireUserOptions['config'], token: string): Db {
  return createClient<Database>(config.supabaseUrl, config.supabaseAnonKey, {
    ...clientOptions,
    global: { headers: { Authorization: `Bearer ${token}` } },
  });
}

export function requireUser({ config }: RequireUserOptions): MiddlewareHandler<AppEnv> {
  // One client for verification: it caches the JWKS between requests.
  const verifier = createClient(config.supabaseUrl, config.supabaseAnonKey, clientOptions);
  return async function requireUser(c, next) {
    const token = bearerToken(c.req.header('Authorization'));
    if (!token || isApiKeyOnly(token, config.supabaseAnonKey)) {
      throw new ApiError(401, 'auth_required', 'Sign in first: send the user\'s access token as "Authorization: Bearer <jwt>"', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    const { data, error } = await verifyClaims(verifier, token);
    if (error && (isAuthRetryableFetchError(error) || (isAuthApiError(error) && error.status >= 500))) {
      throw new ApiError(503, 'auth_unavailable', 'The authentication service is unavailable, try again', { cause: error });
    }
    const claims = data?.claims;
    if (error || !claims || claims.role !== 'authenticated' || typeof claims.sub !== 'string' || claims.sub === '') {
      throw new ApiError(401, 'invalid_token', 'The access token is invalid or expired: sign in again', {
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        cause: error ?? undefined,
      });
    }
    c.set('user', { id: claims.sub, email: typeof claims.email === 'string' ? claims.email : undefined });
    c.set('db', createUserClient(config, token));
    await next();
  };
}
