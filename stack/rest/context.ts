// Who is calling (JWT → role and claims) and the transaction every request runs in:
// `set_config('role', …)` plus the request.jwt.* settings, so RLS and auth.uid() decide.
import type { IncomingMessage } from 'node:http';
import type postgres from 'postgres';
import { InvalidJwtError, verifyAccessToken, verifyJwtClaims, type AccessClaims, type JwtKeys } from '../keys.ts';
import { bearerToken, headerValue } from '../gateway/index.ts';
import { restErrors } from './errors.ts';

export interface Caller {
  role: 'anon' | 'authenticated' | 'service_role';
  claims: AccessClaims;
}

export async function identifyCaller(req: IncomingMessage, query: URLSearchParams, jwtKeys: JwtKeys): Promise<Caller> {
  const bearer = bearerToken(req);
  const token = bearer ?? headerValue(req, 'apikey') ?? query.get('apikey') ?? undefined;
  try {
    // The bearer must be a JWT (an sb_ key there is refused as one); the apikey may be an sb_ key.
    const claims = bearer ? await verifyJwtClaims(bearer, jwtKeys) : await verifyAccessToken(token, jwtKeys);
    return { role: claims.role, claims };
  } catch (error) {
    if (!(error instanceof InvalidJwtError)) throw error;
    if (error.reason === 'expired') throw restErrors.jwtExpired();
    if (error.reason === 'malformed' && token && token.split('.').length !== 3) {
      throw restErrors.jwt(`Expected 3 parts in JWT; got ${token.split('.').length}`);
    }
    if (error.reason === 'invalid_signature') throw restErrors.jwt('JWSError JWSInvalidSignature');
    if (error.reason === 'invalid_role') throw restErrors.jwt('JWT role is not one of anon, authenticated, service_role');
    throw restErrors.jwt('JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)');
  }
}

/** Runs `fn` in one transaction as the caller (read-only for GET/HEAD, as PostgREST does). */
export async function asCaller<T>(
  sql: postgres.Sql,
  caller: Caller,
  request: { method: string; path: string; headers: IncomingMessage['headers'] },
  readOnly: boolean,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string' && name !== 'authorization' && name !== 'apikey' && name !== 'cookie') headers[name] = value;
  }
  const run = async (tx: postgres.TransactionSql) => {
    await tx.unsafe(
      `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
              set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $4, true),
              set_config('request.jwt.claim.email', $5, true), set_config('request.method', $6, true),
              set_config('request.path', $7, true), set_config('request.headers', $8, true)`,
      [
        caller.role,
        JSON.stringify(caller.claims),
        caller.claims.sub ?? '',
        caller.role,
        caller.claims.email ?? '',
        request.method,
        request.path,
        JSON.stringify(headers),
      ],
    );
    return fn(tx);
  };
  return (await (readOnly ? sql.begin('read only', run) : sql.begin(run))) as T;
}
