// Who calls /storage/v1 and the transactions it runs in. As Storage does: the JWT comes from the
// Authorization header only (Kong has no key-auth on /storage/v1), is verified with the stack's shared
// verifier, and every object operation runs as the caller's role with request.jwt.claims set, so RLS
// on storage.objects and storage.buckets decides. `asSuperUser` is Storage's superuser connection.
import type { IncomingMessage } from 'node:http';
import type postgres from 'postgres';
import { bearerToken } from '../gateway/index.ts';
import { InvalidJwtError, verifyJwtClaims, type AccessClaims, type ApiRole, type JwtKeys } from '../keys.ts';
import { fromPostgresError, isPostgresError, StorageError, storageErrors } from './errors.ts';

export interface StorageCaller {
  role: ApiRole;
  claims: AccessClaims;
  /** false when no valid JWT came (routes that allow it then act as anon). */
  authenticated: boolean;
  /** The JWT's `sub`: the owner recorded on objects the caller writes. */
  owner: string | undefined;
}

const ANONYMOUS: StorageCaller = { role: 'anon', claims: { role: 'anon' }, authenticated: false, owner: undefined };

/** Messages as Storage's jose verification words them. */
function jwtMessage(error: InvalidJwtError): string {
  switch (error.reason) {
    case 'expired': return '"exp" claim timestamp check failed';
    case 'invalid_signature': return 'signature verification failed';
    case 'invalid_role': return 'Access denied: Invalid role';
    default: return 'Invalid Compact JWS';
  }
}

/**
 * The caller of a request. `allowAnonymous`: routes Storage marks allowInvalidJwt (GET/HEAD of an
 * object, info) treat a missing or bad token as anon instead of refusing it.
 */
export async function identifyCaller(req: IncomingMessage, jwtKeys: JwtKeys, allowAnonymous = false): Promise<StorageCaller> {
  const token = bearerToken(req);
  if (!token && allowAnonymous) return ANONYMOUS;
  try {
    const claims = await verifyJwtClaims(token, jwtKeys);
    return { role: claims.role, claims, authenticated: true, owner: typeof claims.sub === 'string' ? claims.sub : undefined };
  } catch (error) {
    if (!(error instanceof InvalidJwtError)) throw error;
    if (allowAnonymous) return ANONYMOUS;
    throw storageErrors.accessDenied(jwtMessage(error));
  }
}

export interface Scope {
  /** Storage's operation name (storage.operation()), e.g. `storage.object.upload`. */
  operation: string;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export type Tx = postgres.TransactionSql;

/** Thrown inside a permission test so its transaction rolls back. */
const ROLLBACK = Symbol('rollback');

export interface StorageDatabase {
  /** One transaction as the caller (RLS applies). */
  asCaller<T>(caller: StorageCaller, scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** One transaction as the superuser (RLS bypassed), as Storage's own bookkeeping. */
  asSuperUser<T>(scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs `fn` as the caller and rolls it back: does RLS allow it? Storage's testPermission. */
  testPermission(caller: StorageCaller, scope: Scope, fn: (tx: Tx) => Promise<unknown>): Promise<void>;
}

export function createStorageDatabase(sql: postgres.Sql): StorageDatabase {
  async function run<T>(role: string, claims: AccessClaims, scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(scope.headers)) {
      if (typeof value === 'string' && name !== 'authorization' && name !== 'apikey' && name !== 'cookie') headers[name] = value;
    }
    try {
      return (await sql.begin(async (tx) => {
        await tx.unsafe(
          `select set_config('role', $1, true), set_config('request.jwt.claim.role', $2, true),
                  set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claims', $4, true),
                  set_config('request.jwt.claim.email', $5, true), set_config('request.headers', $6, true),
                  set_config('request.method', $7, true), set_config('request.path', $8, true),
                  set_config('storage.operation', $9, true), set_config('storage.allow_delete_query', 'true', true)`,
          [role, claims.role, claims.sub ?? '', JSON.stringify(claims), claims.email ?? '', JSON.stringify(headers), scope.method, scope.path, scope.operation],
        );
        return fn(tx);
      })) as T;
    } catch (error) {
      if (isPostgresError(error)) throw fromPostgresError(error);
      throw error;
    }
  }

  return {
    asCaller: (caller, scope, fn) => run(caller.role, caller.claims, scope, fn),
    asSuperUser: (scope, fn) => run('postgres', { role: 'service_role' }, scope, fn),
    async testPermission(caller, scope, fn) {
      try {
        await run(caller.role, caller.claims, scope, async (tx) => {
          await fn(tx);
          throw ROLLBACK;
        });
      } catch (error) {
        if (error === ROLLBACK) return;
        throw error;
      }
    },
  };
}

export function isStorageError(error: unknown): error is StorageError {
  return error instanceof StorageError;
}
