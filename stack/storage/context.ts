// What every /storage/v1 handler receives: the service's parts and one request's view of itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { JwtKeys } from '../keys.ts';
import type { z } from 'zod';
import type { StorageCaller, StorageDatabase, Scope } from './caller.ts';
import { storageErrors } from './errors.ts';
import type { FileStore } from './files.ts';

export interface StorageContext {
  db: StorageDatabase;
  files: FileStore;
  /** Signs and checks signed URLs (Storage uses the project's JWT secret for them). */
  jwtSecret: string;
  /** Verifies callers' JWTs. */
  jwtKeys: JwtKeys;
  /** Global upload limit in bytes (config.toml [storage] file_size_limit; 50 MiB by default). */
  fileSizeLimit: number;
  /** How long a signed upload URL stays valid (Storage: 2 hours). */
  signedUploadExpirySeconds: number;
  logger: Logger;
}

export interface StorageCall {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  /** The route's decoded path parameters: bucket, then the object key where the route has one. */
  params: string[];
  scope: Scope;
  /** The verified caller; `allowAnonymous` turns a missing or bad JWT into anon (Storage's allowInvalidJwt). */
  caller(allowAnonymous?: boolean): Promise<StorageCaller>;
  /** The JSON body checked against `schema` (400 InvalidRequest when it does not match). */
  json<T>(schema: z.ZodType<T>): Promise<T>;
}

export type StorageHandler = (ctx: StorageContext, call: StorageCall) => Promise<void>;

/** Storage's request validation errors (Fastify's wording: `body/prefix must be string`). */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `body/${issue.path.join('/')}` : 'body';
  throw storageErrors.invalidRequest(`${where} ${issue.message}`);
}

/** `bucket/key` parameters of a route with an object key. */
export function objectParams(call: StorageCall): { bucketId: string; objectName: string } {
  const [bucketId, objectName] = call.params;
  return { bucketId: bucketId!, objectName: objectName ?? '' };
}
