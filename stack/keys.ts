// The local-development secret and keys that `supabase start` uses (CLI defaults), so the same .env
// works with both. Public knowledge; never use them outside local development.
import { jwtVerify, type JWTPayload } from 'jose';

export const LOCAL_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
export const LOCAL_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
export const LOCAL_SERVICE_ROLE_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';
export const LOCAL_PUBLISHABLE_KEY = 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH';
export const LOCAL_SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

export type ApiRole = 'anon' | 'authenticated' | 'service_role';

export interface AccessClaims extends JWTPayload {
  role: ApiRole;
  sub?: string;
  email?: string;
  session_id?: string;
}

export class InvalidJwtError extends Error {
  constructor(readonly reason: 'missing' | 'malformed' | 'expired' | 'invalid_signature' | 'invalid_role', message: string) {
    super(message);
    this.name = 'InvalidJwtError';
  }
}

const secretKey = (secret: string) => new TextEncoder().encode(secret);

/**
 * Verifies an HS256 Supabase JWT (an API key or a user's access token) and returns its claims.
 * The new-style `sb_publishable_…` / `sb_secret_…` keys map to the anon / service_role claims.
 */
export async function verifyAccessToken(token: string | undefined | null, secret = LOCAL_JWT_SECRET): Promise<AccessClaims> {
  if (!token) throw new InvalidJwtError('missing', 'No API key or access token found in the request');
  if (token === LOCAL_PUBLISHABLE_KEY) return { role: 'anon', iss: 'supabase-demo' };
  if (token === LOCAL_SECRET_KEY) return { role: 'service_role', iss: 'supabase-demo' };
  if (token.split('.').length !== 3) throw new InvalidJwtError('malformed', 'JWT is malformed');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, secretKey(secret), { algorithms: ['HS256'] }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') throw new InvalidJwtError('expired', 'JWT expired');
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw new InvalidJwtError('invalid_signature', 'Invalid JWT signature');
    throw new InvalidJwtError('malformed', 'JWT is malformed');
  }
  const role = payload.role;
  if (role !== 'anon' && role !== 'authenticated' && role !== 'service_role') {
    throw new InvalidJwtError('invalid_role', `JWT role ${String(role)} is not allowed`);
  }
  return payload as AccessClaims;
}
