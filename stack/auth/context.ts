// What every /auth/v1 route handler shares: the store, the token settings, and the request helpers
// (JSON body, string fields, the caller's verified access token and user).
import type postgres from 'postgres';
import type { Logger } from 'pino';
import { bearerToken, type ServiceRequest } from '../gateway/index.ts';
import { InvalidJwtError } from '../keys.ts';
import type { AuthConfig } from './config.ts';
import { AuthError, authErrors } from './errors.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { AuthStore, UserRow } from './store.ts';
import type { TokenSettings } from './tokens.ts';

export interface AuthServiceOptions extends TokenSettings {
  sql: postgres.Sql;
  logger: Logger;
  minimumPasswordLength?: number;
  /** supabase/config.toml's [auth] settings (readAuthConfig); `supabase init`'s defaults when absent. */
  config?: AuthConfig;
}

export interface AuthContext {
  options: AuthServiceOptions;
  store: AuthStore;
  minPassword: number;
  config: AuthConfig;
  limits: { signInSignUps: RateLimiter; tokenRefresh: RateLimiter; tokenVerifications: RateLimiter };
}

export type AuthRouteHandler = (ctx: AuthContext, request: ServiceRequest) => Promise<void>;

export const BCRYPT_COST = 10; // GoTrue's bcrypt.DefaultCost
/** GoTrue's format check (github.com/badoux/checkmail ValidateFormat, which GoTrue's validateEmail calls). */
export const EMAIL_PATTERN = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** GoTrue's validateEmail (internal/api/mail.go): required, at most 255 characters, checkmail's format; lower-cased. */
export function validateEmail(email: string | undefined): string {
  if (!email) throw authErrors.validation('An email address is required');
  if (email.length > 255) throw authErrors.validation('An email address is too long');
  if (!EMAIL_PATTERN.test(email)) throw authErrors.validation('Unable to validate email address: invalid format');
  return email.toLowerCase();
}

interface VerifiedUserToken extends Record<string, unknown> {
  sub: string;
  role: string;
  session_id?: string;
}

export async function jsonBody(request: ServiceRequest): Promise<Record<string, unknown>> {
  const raw = (await request.body()).toString('utf8').trim();
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!isObject(parsed)) throw authErrors.badJson('expected a JSON object');
    return parsed;
  } catch (error) {
    if (error instanceof AuthError) throw error;
    throw authErrors.badJson((error as Error).message);
  }
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function verifyToken(ctx: AuthContext, request: ServiceRequest): Promise<VerifiedUserToken> {
  const token = bearerToken(request.req);
  if (!token) throw authErrors.noAuthorization();
  if (token.split('.').length !== 3) throw authErrors.badJwt('token is malformed: token contains an invalid number of segments');
  try {
    return (await ctx.options.jwtKeys.verify(token)) as unknown as VerifiedUserToken;
  } catch (error) {
    const reason = error instanceof InvalidJwtError ? error.reason : 'invalid_signature';
    throw authErrors.badJwt(reason === 'expired' ? 'token has invalid claims: token is expired' : 'signature is invalid');
  }
}

/** The signed-in caller: a valid access token whose session and user still exist. */
export async function requireUser(ctx: AuthContext, request: ServiceRequest): Promise<{ user: UserRow; claims: VerifiedUserToken }> {
  const claims = await verifyToken(ctx, request);
  if (!claims.sub) throw authErrors.badJwt('invalid claim: missing sub claim');
  if (claims.session_id && !(await ctx.store.sessionExists(claims.session_id))) throw authErrors.sessionNotFound();
  const user = await ctx.store.findUserById(claims.sub);
  if (!user) throw new AuthError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
  return { user, claims };
}

/** Takes one request from the caller's per-IP bucket (GoTrue keys its limits by client address). */
export function enforceRateLimit(limiter: RateLimiter, request: ServiceRequest): void {
  if (!limiter.take(request.req.socket.remoteAddress ?? 'unknown')) throw authErrors.overRequestRateLimit();
}
