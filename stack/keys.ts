// The project's API keys and JWT signing keys, as a Supabase project created today has them.
// - API keys: the local-development values `supabase start` prints (CLI defaults, public knowledge; never
//   use them outside local development): `sb_publishable_…` / `sb_secret_…` and the legacy anon /
//   service_role JWTs (HS256, signed with the legacy secret).
// - Signing keys: user access tokens are signed with an asymmetric ES256 key whose public half the JWKS
//   (/auth/v1/.well-known/jwks.json) serves; the legacy HS256 secret still verifies (legacy keys, tokens
//   signed before a rotation) and signs when the stack runs in the legacy mode ('HS256').
//   A key set is a JSON array of private JWKs (the format of `supabase gen signing-key`): the first key
//   whose key_ops include `sign` signs, every key is published and verifies (rotation: add the new key
//   first, keep the old one until its tokens expired, then remove it).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify,
  type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload, type SignJWT,
} from 'jose';
import { z } from 'zod';

export const LOCAL_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
export const LOCAL_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
export const LOCAL_SERVICE_ROLE_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';
export const LOCAL_PUBLISHABLE_KEY = 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH';
export const LOCAL_SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

export type ApiRole = 'anon' | 'authenticated' | 'service_role';
/** 'ES256': a project created today (asymmetric signing key); 'HS256': the legacy JWT secret signs. */
export type SigningAlgorithm = 'ES256' | 'HS256';

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

/** The keys that sign and verify the project's JWTs. One instance per stack, shared by every service. */
export interface JwtKeys {
  /** Which key signs new access tokens. */
  readonly algorithm: SigningAlgorithm;
  /** The legacy JWT secret (HS256): still verifies; signs in the 'HS256' mode. */
  readonly legacySecret: string;
  /** What /auth/v1/.well-known/jwks.json serves: the public halves only (empty in the 'HS256' mode). */
  readonly jwks: JSONWebKeySet;
  /** Sets the protected header (alg, kid, typ) and signs. */
  sign(jwt: SignJWT): Promise<string>;
  /** Verifies signature (ES256 by kid against the key set, HS256 against the legacy secret) and expiry. */
  verify(token: string): Promise<JWTPayload>;
}

const privateJwkSchema = z.object({
  kty: z.literal('EC'), crv: z.literal('P-256'), alg: z.literal('ES256'),
  kid: z.string().min(1), x: z.string().min(1), y: z.string().min(1), d: z.string().min(1),
  use: z.literal('sig').optional(), key_ops: z.array(z.string()).optional(), ext: z.boolean().optional(),
});
const keySetSchema = z.array(privateJwkSchema).min(1);

/** A new ES256 signing key as a private JWK (kid: a random UUID, as Supabase's signing keys have). */
export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: crypto.randomUUID(), alg: 'ES256', use: 'sig', key_ops: ['sign', 'verify'], ext: true };
}

/** Reads a signing key set file, creating it (mode 0600) with one new key when it does not exist. */
export async function loadOrCreateSigningKeys(path: string): Promise<JWK[]> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    const keys = [await generateSigningKey()];
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    return keys;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not JSON: ${(error as Error).message}`);
  }
  const checked = keySetSchema.safeParse(parsed);
  if (!checked.success) throw new Error(`${path}: expected a JSON array of ES256 private JWKs (kid, x, y, d): ${checked.error.message}`);
  return checked.data;
}

const publicHalf = (jwk: JWK): JWK => ({
  kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: jwk.alg, use: 'sig', key_ops: ['verify'], ext: true,
});

export async function createJwtKeys(options: {
  algorithm?: SigningAlgorithm;
  legacySecret?: string;
  /** Private JWKs; one is generated when absent (keys of a throwaway stack). */
  signingKeys?: JWK[];
} = {}): Promise<JwtKeys> {
  const algorithm = options.algorithm ?? 'ES256';
  const legacySecret = options.legacySecret ?? LOCAL_JWT_SECRET;
  const secret = new TextEncoder().encode(legacySecret);
  if (algorithm === 'HS256') return hs256Keys(legacySecret);
  const privateKeys = options.signingKeys ?? [await generateSigningKey()];
  const signer = privateKeys.find((key) => !key.key_ops || key.key_ops.includes('sign'));
  if (!signer?.kid) throw new Error('signing keys: no key with key_ops "sign" and a kid');
  // Only the key material: WebCrypto refuses a private key whose key_ops include 'verify'.
  const signingKey = (await importJWK({ kty: signer.kty, crv: signer.crv, x: signer.x, y: signer.y, d: signer.d }, 'ES256')) as CryptoKey;
  const jwks: JSONWebKeySet = { keys: privateKeys.map(publicHalf) };
  const localSet = createLocalJWKSet(jwks);
  return {
    algorithm,
    legacySecret,
    jwks,
    sign: (jwt) => jwt.setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'JWT' }).sign(signingKey),
    verify: (token) => verifyJwt(token, (header) => (header.alg === 'HS256' ? secret : localSet(header))),
  };
}

/** The legacy mode: one HS256 secret signs and verifies, the JWKS is empty (as for a legacy project). */
export function hs256Keys(legacySecret = LOCAL_JWT_SECRET): JwtKeys {
  const secret = new TextEncoder().encode(legacySecret);
  return {
    algorithm: 'HS256',
    legacySecret,
    jwks: { keys: [] },
    sign: (jwt) => jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret),
    verify: (token) => verifyJwt(token, () => secret),
  };
}

type KeyResolver = Parameters<typeof jwtVerify>[1];

async function verifyJwt(token: string, key: KeyResolver): Promise<JWTPayload> {
  if (token.split('.').length !== 3) throw new InvalidJwtError('malformed', 'JWT is malformed');
  try {
    decodeProtectedHeader(token);
  } catch {
    throw new InvalidJwtError('malformed', 'JWT is malformed');
  }
  try {
    // `algorithms` refuses `alg: none` and any algorithm this project does not sign with.
    const { payload } = await jwtVerify(token, key, { algorithms: ['ES256', 'HS256'] });
    return payload;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') throw new InvalidJwtError('expired', 'JWT expired');
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY'
      || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' || code === 'ERR_JOSE_ALG_NOT_ALLOWED') {
      throw new InvalidJwtError('invalid_signature', 'Invalid JWT signature');
    }
    throw new InvalidJwtError('malformed', 'JWT is malformed');
  }
}

/** The anon / service_role claims of a new-style API key (`sb_publishable_…` / `sb_secret_…`), if it is one of ours. */
export function apiKeyClaims(key: string): AccessClaims | undefined {
  if (key === LOCAL_PUBLISHABLE_KEY) return { role: 'anon', iss: 'supabase-demo' };
  if (key === LOCAL_SECRET_KEY) return { role: 'service_role', iss: 'supabase-demo' };
  return undefined;
}

/**
 * Verifies what a caller sent as its `apikey` (header, query or Realtime's join): a new-style key maps to
 * the anon / service_role claims (what Supabase's gateway swaps in for it), anything else must be a JWT.
 */
export async function verifyAccessToken(token: string | undefined | null, keys: JwtKeys): Promise<AccessClaims> {
  if (!token) throw new InvalidJwtError('missing', 'No API key or access token found in the request');
  return apiKeyClaims(token) ?? verifyJwtClaims(token, keys);
}

/**
 * Verifies an `Authorization: Bearer` token: a JWT only (a legacy API key or a user's access token).
 * An `sb_…` key there is not a JWT and is refused as malformed: Supabase's gateway replaces it only
 * when it equals the `apikey` header (stack/gateway/api-key.ts), anything else reaches the service as sent.
 */
export async function verifyJwtClaims(token: string | undefined | null, keys: JwtKeys): Promise<AccessClaims> {
  if (!token) throw new InvalidJwtError('missing', 'No API key or access token found in the request');
  const payload = await keys.verify(token);
  const role = payload.role;
  if (role !== 'anon' && role !== 'authenticated' && role !== 'service_role') {
    throw new InvalidJwtError('invalid_role', `JWT role ${String(role)} is not allowed`);
  }
  return payload as AccessClaims;
}
