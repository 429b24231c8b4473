// requireUser(): verifies the caller's JWT in the handler (verify_jwt is off, as Supabase recommends for
// the new signing keys). Asymmetric tokens (ES256/RS256, projects created today) are verified with jose
// against the project's JWKS (`<SUPABASE_URL>/auth/v1/.well-known/jwks.json`, cached; an unknown kid
// refetches it, so a key rotation needs no restart), with issuer, audience and expiry checked.
// Legacy HS256 tokens cannot be verified here (functions get no JWT secret): Auth checks them
// (supabase-js getClaims falls back to GET /auth/v1/user). API keys — sb_publishable_/sb_secret_ and the
// legacy anon/service_role JWTs — identify the app, not a user: 401 auth_required.
// The request then gets a supabase-js client carrying that same token, so RLS decides what the user may
// read and write.
import { createClient, isAuthApiError, isAuthRetryableFetchError, type SupabaseClient } from '@supabase/supabase-js';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Database } from '../../_shared/database.types.ts';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../_shared/api-error.ts';
import type { Config } from '../config.ts';
import type { AppEnv, Db } from '../types.ts';

const clientOptions = {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
} as const;

const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256'];

export interface RequireUserOptions {
  config: Pick<Config, 'supabaseUrl' | 'supabasePublishableKey'>;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** An API key (new-style, or a legacy anon/service_role JWT without a user), i.e. nobody is signed in. */
function isApiKey(token: string, publishableKey: string): boolean {
  if (token === publishableKey || token.startsWith('sb_publishable_') || token.startsWith('sb_secret_')) return true;
  const payload = token.split('.')[1];
  if (!payload) return false;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { role?: unknown; sub?: unknown };
    return (claims.role === 'anon' || claims.role === 'service_role') && claims.sub === undefined;
  } catch {
    return false;
  }
}

const unavailable = (cause: unknown) =>
  new ApiError(503, 'auth_unavailable', 'The authentication service is unavailable, try again', { cause });
const invalidToken = (cause?: unknown) =>
  new ApiError(401, 'invalid_token', 'The access token is invalid or expired: sign in again', {
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    cause: cause ?? undefined,
  });

/** jose errors that say the JWKS could not be fetched (not that the token is bad). */
function isJwksUnreachable(error: unknown): boolean {
  if (!(error instanceof joseErrors.JOSEError)) return true; // fetch failures (TypeError) and the like
  // timeout, a non-200 answer, a body that is not a key set
  return error.code === 'ERR_JWKS_TIMEOUT' || error.code === 'ERR_JOSE_GENERIC' || error.code === 'ERR_JWKS_INVALID';
}

/**
 * getClaims() returns Auth errors, but throws whatever decoding a token that only looks like a JWT
 * throws (`abc.def.ghi`: "Invalid UTF-8 sequence", JSON that is not an object, an unknown `alg`).
 * Network failures come back as AuthRetryableFetchError, so anything thrown is the token's fault.
 */
async function verifyLegacyClaims(verifier: SupabaseClient, token: string): Promise<JWTPayload> {
  let result: Awaited<ReturnType<SupabaseClient['auth']['getClaims']>>;
  try {
    result = await verifier.auth.getClaims(token);
  } catch (cause) {
    throw invalidToken(cause);
  }
  const { data, error } = result;
  if (error && (isAuthRetryableFetchError(error) || (isAuthApiError(error) && error.status >= 500))) throw unavailable(error);
  if (error || !data?.claims) throw invalidToken(error);
  return data.claims as JWTPayload;
}

export function createUserClient(config: RequireUserOptions['config'], token: string): Db {
  return createClient<Database>(config.supabaseUrl, config.supabasePublishableKey, {
    ...clientOptions,
    global: { headers: { Authorization: `Bearer ${token}` } },
  });
}

/**
 * The JWKS cache. Rotation: a token naming a kid the cached set lacks refetches the set, at most once per
 * cooldown (concurrent requests share one fetch; inside the cooldown such tokens are refused without a
 * fetch, so random kids cannot make a refetch storm). Revocation: a removed key's tokens still pass until
 * the cached set is older than the max age (10 minutes, as auth-js caches it), then they are refused.
 * Supabase publishes a standby key in the JWKS before it signs, so caches hold it before its tokens arrive.
 */
export const JWKS_CACHE = { maxAgeMs: 10 * 60_000, cooldownMs: 30_000, timeoutMs: 5_000 } as const;

export function requireUser({ config }: RequireUserOptions): MiddlewareHandler<AppEnv> {
  const issuer = `${config.supabaseUrl}/auth/v1`;
  // One key set for the process, fetched on first use.
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), {
    cacheMaxAge: JWKS_CACHE.maxAgeMs,
    cooldownDuration: JWKS_CACHE.cooldownMs,
    timeoutDuration: JWKS_CACHE.timeoutMs,
  });
  const legacyVerifier = createClient(config.supabaseUrl, config.supabasePublishableKey, clientOptions);

  async function verify(token: string): Promise<JWTPayload> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      decodeJwt(token); // a payload that is not JSON claims is refused before the JWKS is fetched
    } catch (cause) {
      throw invalidToken(cause);
    }
    if (typeof alg === 'string' && ASYMMETRIC_ALGORITHMS.includes(alg)) {
      try {
        return (await jwtVerify(token, jwks, { issuer, audience: 'authenticated', algorithms: ASYMMETRIC_ALGORITHMS })).payload;
      } catch (error) {
        throw isJwksUnreachable(error) ? unavailable(error) : invalidToken(error);
      }
    }
    if (alg === 'HS256') return verifyLegacyClaims(legacyVerifier, token);
    throw invalidToken(new Error(`alg ${String(alg)} is not accepted`)); // `none`, and anything Supabase does not sign with
  }

  return async function requireUser(c, next) {
    const token = bearerToken(c.req.header('Authorization'));
    if (!token || isApiKey(token, config.supabasePublishableKey)) {
      throw new ApiError(401, 'auth_required', 'Sign in first: send the user\'s access token as "Authorization: Bearer <jwt>" (an API key is not a sign-in)', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    const claims = await verify(token);
    if (claims.role !== 'authenticated' || typeof claims.sub !== 'string' || claims.sub === '') throw invalidToken();
    c.set('user', { id: claims.sub, email: typeof claims.email === 'string' ? claims.email : undefined });
    c.set('db', createUserClient(config, token));
    await next();
  };
}
