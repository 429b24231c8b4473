// /storage/v1: the part of Supabase Storage's HTTP API that @supabase/storage-js uses (buckets, uploads,
// downloads, signed URLs, list, remove, move, copy, info), over the `storage` schema of the stack's
// bootstrap (stack/db/storage-schema.sql), with the bytes in files under the stack's storage folder.
// Routes and wire format follow supabase/storage (src/http/routes); see stack/README.md for what is
// and is not served. Everything not served answers an explicit error.
import { once } from 'node:events';
import type postgres from 'postgres';
import type { Logger } from 'pino';
import { sendJson, type ServiceHandler, type ServiceRequest } from '../gateway/index.ts';
import type { JwtKeys } from '../keys.ts';
import { createBucket, deleteBucket, emptyBucket, getBucket, listBuckets, updateBucket } from './buckets.ts';
import { createStorageDatabase, identifyCaller } from './caller.ts';
import { parseBody, type StorageCall, type StorageContext, type StorageHandler } from './context.ts';
import { StorageError, storageErrors } from './errors.ts';
import { createFileStore } from './files.ts';
import { copy, download, info, list, move, removeMany, removeOne } from './objects.ts';
import { signedDownload, signUploadUrl, signUrl, signUrls, uploadToSignedUrl } from './signed.ts';
import { receiveUpload } from './upload.ts';

export interface StorageServiceOptions {
  sql: postgres.Sql;
  /** Signs signed URLs. */
  jwtSecret: string;
  /** Verifies callers' JWTs. */
  jwtKeys: JwtKeys;
  /** Folder for the stored bytes (created 0700). */
  rootDir: string;
  /** Global upload limit in bytes; 50 MiB (supabase/config.toml [storage] file_size_limit) by default. */
  fileSizeLimit?: number;
  logger: Logger;
}

interface Route {
  methods: string[];
  pattern: RegExp;
  /** Storage's operation name (storage.operation() in policies). */
  operation: string;
  handler: StorageHandler;
}

const BUCKET = '([^/]+)';
const KEY = '(.+)';
const route = (methods: string | string[], pattern: string, operation: string, handler: StorageHandler): Route => ({
  methods: Array.isArray(methods) ? methods : [methods],
  pattern: new RegExp(`^${pattern}$`),
  operation,
  handler,
});

async function upload(ctx: StorageContext, call: StorageCall, upsert: boolean): Promise<void> {
  const caller = await call.caller();
  const [bucketId, objectName] = call.params;
  const result = await receiveUpload(ctx, call.req, {
    bucketId: bucketId!, objectName: objectName!, owner: caller.owner, upsert, as: caller, scope: call.scope,
  });
  sendJson(call.res, 200, { Id: result.id, Key: result.key });
}

const ROUTES: Route[] = [
  route('GET', '/bucket/?', 'storage.bucket.list', listBuckets),
  route('POST', '/bucket/?', 'storage.bucket.create', createBucket),
  route('POST', `/bucket/${BUCKET}/empty`, 'storage.bucket.empty', emptyBucket),
  route('GET', `/bucket/${BUCKET}`, 'storage.bucket.get', getBucket),
  route('PUT', `/bucket/${BUCKET}`, 'storage.bucket.update', updateBucket),
  route('DELETE', `/bucket/${BUCKET}`, 'storage.bucket.delete', deleteBucket),

  route('POST', '/object/move', 'storage.object.move', move),
  route('POST', '/object/copy', 'storage.object.copy', copy),
  route('POST', `/object/list/${BUCKET}`, 'storage.object.list', list),
  route('POST', `/object/sign/${BUCKET}`, 'storage.object.sign_many', signUrls),
  route('POST', `/object/sign/${BUCKET}/${KEY}`, 'storage.object.sign', signUrl),
  route('GET', `/object/sign/${BUCKET}/${KEY}`, 'storage.object.get_signed', signedDownload),
  route('POST', `/object/upload/sign/${BUCKET}/${KEY}`, 'storage.object.sign_upload_url', signUploadUrl),
  route('PUT', `/object/upload/sign/${BUCKET}/${KEY}`, 'storage.object.upload_signed', uploadToSignedUrl),
  route(['GET', 'HEAD'], `/object/public/${BUCKET}/${KEY}`, 'storage.object.get_public', download('public')),
  route('GET', `/object/info/public/${BUCKET}/${KEY}`, 'storage.object.info_public', info('public')),
  route('GET', `/object/info/authenticated/${BUCKET}/${KEY}`, 'object.get_authenticated_info', info('authenticated')),
  route('GET', `/object/info/${BUCKET}/${KEY}`, 'object.get_authenticated_info', info('anonymous-allowed')),
  route(['GET', 'HEAD'], `/object/authenticated/${BUCKET}/${KEY}`, 'storage.object.get_authenticated', download('authenticated')),
  route(['GET', 'HEAD'], `/object/${BUCKET}/${KEY}`, 'storage.object.get_authenticated', download('anonymous-allowed')),
  route('POST', `/object/${BUCKET}/${KEY}`, 'storage.object.upload', (ctx, call) => upload(ctx, call, call.req.headers['x-upsert'] === 'true')),
  route('PUT', `/object/${BUCKET}/${KEY}`, 'storage.object.upload_update', (ctx, call) => upload(ctx, call, true)),
  route('DELETE', `/object/${BUCKET}`, 'storage.object.delete_many', removeMany),
  route('DELETE', `/object/${BUCKET}/${KEY}`, 'storage.object.delete', removeOne),
];

// Parts of Supabase Storage the local stack does not serve: an explicit 501, never a silent answer.
const NOT_SERVED: [RegExp, string][] = [
  [/^\/object\/list-v2\//, 'listV2 (POST /object/list-v2)'],
  [/^\/render\//, 'Image transformation (/render/image)'],
  [/^\/upload\/resumable/, 'Resumable (TUS) uploads'],
  [/^\/s3(\/|$)/, 'The S3 protocol'],
  [/^\/cdn\//, 'CDN cache purge'],
  [/^\/(vector|iceberg)(\/|$)/, 'Vector and analytics buckets'],
];

export async function createStorageService(options: StorageServiceOptions): Promise<ServiceHandler> {
  const ctx: StorageContext = {
    db: createStorageDatabase(options.sql),
    files: await createFileStore(options.rootDir),
    jwtSecret: options.jwtSecret,
    jwtKeys: options.jwtKeys,
    fileSizeLimit: options.fileSizeLimit ?? 50 * 1024 * 1024,
    signedUploadExpirySeconds: 2 * 60 * 60,
    logger: options.logger,
  };

  return async function handleStorage(request: ServiceRequest): Promise<void> {
    const { req, res } = request;
    const method = req.method ?? 'GET';
    try {
      const notServed = NOT_SERVED.find(([pattern]) => pattern.test(request.path));
      if (notServed) throw storageErrors.notSupported(notServed[1]);
      let match: RegExpExecArray | null = null;
      const found = ROUTES.find((r) => r.methods.includes(method) && (match = r.pattern.exec(request.path)) !== null);
      if (!found || !match) throw storageErrors.routeNotFound(method, req.url ?? request.path);
      const params = decodeParams((match as RegExpExecArray).slice(1));
      const scope = { operation: found.operation, method, path: request.path, headers: req.headers };
      const call: StorageCall = {
        req, res, query: request.query, params, scope,
        caller: (allowAnonymous = false) => identifyCaller(req, ctx.jwtKeys, allowAnonymous),
        async json(schema) {
          const raw = (await request.body()).toString('utf8');
          let value: unknown = {};
          if (raw.trim() !== '') {
            try {
              value = JSON.parse(raw);
            } catch {
              throw storageErrors.invalidRequest("Body is not valid JSON but content-type is set to 'application/json'");
            }
          }
          return parseBody(schema, value);
        },
      };
      await found.handler(ctx, call);
    } catch (error) {
      if (error instanceof Error && error.name === 'PayloadTooLargeError') throw error;
      const refusal = error instanceof StorageError ? error : undefined;
      if (!refusal) options.logger.error({ err: error, method, path: request.path }, 'storage: unexpected error');
      const answer = refusal ?? storageErrors.internal();
      await drainRequest(req);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, answer.httpStatus, answer.toJSON());
    }
  };
}

function decodeParams(raw: string[]): string[] {
  try {
    return raw.map((part) => decodeURIComponent(part));
  } catch {
    throw storageErrors.invalidKey(raw.join('/'));
  }
}

/**
 * Reads what is left of a refused upload before answering, so the client gets the error instead of
 * a reset connection; a client that keeps sending past 30 s is cut off.
 */
async function drainRequest(req: ServiceRequest['req']): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  req.resume();
  const timer = setTimeout(() => req.destroy(), 30_000);
  try {
    await Promise.race([once(req, 'end'), once(req, 'close')]);
  } catch {
    // the request errored: nothing left to read
  } finally {
    clearTimeout(timer);
  }
}

export { readStorageFileSizeLimit } from './config.ts';
