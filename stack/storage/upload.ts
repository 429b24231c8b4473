// Uploads as Storage takes them (src/storage/uploader.ts): a multipart form (storage-js sends Blobs and
// Files that way: `cacheControl`, optional `metadata`, then the file) or the raw body (Buffers, strings,
// streams: content-type, cache-control and base64 x-metadata headers). The bucket's MIME types and
// size limit are checked first, then whether RLS lets the caller insert (or upsert) the row, in a
// transaction that is rolled back; the bytes then stream to disk within the size limit, and the row
// is written last by the superuser, so a refused or broken upload leaves no row and no file.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import { headerValue } from '../gateway/index.ts';
import type { StorageCaller, StorageDatabase, Scope, Tx } from './caller.ts';
import { storageErrors } from './errors.ts';
import type { FileStore } from './files.ts';
import { isEmptyFolder, mustBeValidKey } from './names.ts';

export interface UploadContext {
  db: StorageDatabase;
  files: FileStore;
  /** The stack's global upload limit in bytes (config.toml [storage] file_size_limit). */
  fileSizeLimit: number;
}

export interface UploadTarget {
  bucketId: string;
  objectName: string;
  owner: string | undefined;
  upsert: boolean;
  /** The caller whose RLS decides, or 'superuser' (uploads through a signed URL). */
  as: StorageCaller | 'superuser';
  scope: Scope;
}

interface IncomingFile {
  body: Readable;
  mimeType: string;
  cacheControl: string;
  userMetadata: Record<string, unknown> | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_USER_METADATA_BYTES = 1024 * 1024;

export async function receiveUpload(ctx: UploadContext, req: IncomingMessage, target: UploadTarget): Promise<{ id: string; key: string }> {
  mustBeValidKey(target.objectName);
  const [bucket] = await ctx.db.asSuperUser(target.scope, (tx) => tx<{ file_size_limit: string | null; allowed_mime_types: string[] | null }[]>`
    select file_size_limit, allowed_mime_types from storage.buckets where id = ${target.bucketId}`);
  if (!bucket) throw storageErrors.noSuchBucket();

  const emptyFolder = isEmptyFolder(target.objectName);
  const bucketLimit = bucket.file_size_limit === null ? Number.POSITIVE_INFINITY : Number(bucket.file_size_limit);
  const maxBytes = emptyFolder ? 0 : Math.min(ctx.fileSizeLimit, bucketLimit);
  const declaredLength = contentLength(req);
  const file = await incomingFile(req, maxBytes);
  try {
    if (!emptyFolder && bucket.allowed_mime_types && bucket.allowed_mime_types.length > 0) {
      validateMimeType(file.mimeType, bucket.allowed_mime_types);
    }
    const owner = target.owner;
    const row = {
      bucket_id: target.bucketId,
      name: target.objectName,
      owner: owner && UUID.test(owner) ? owner : null,
      owner_id: owner ?? null,
    };
    await testUpload(ctx.db, target.as, target.scope, {
      bucketId: target.bucketId, objectName: target.objectName, owner, upsert: target.upsert,
      metadata: { mimetype: file.mimeType, contentLength: declaredLength }, userMetadata: file.userMetadata,
    });

    const stored = await ctx.files.write(file.body, maxBytes);
    const metadata = {
      eTag: stored.eTag,
      size: stored.size,
      mimetype: file.mimeType,
      cacheControl: file.cacheControl,
      lastModified: stored.lastModified.toISOString(),
      contentLength: stored.size,
      httpStatusCode: 200,
    };
    let replaced: string | null = null;
    try {
      const id = await ctx.db.asSuperUser(target.scope, async (tx) => {
        const [current] = await tx<{ version: string | null }[]>`
          select version from storage.objects where bucket_id = ${target.bucketId} and name = ${target.objectName} for update`;
        if (current && !target.upsert) throw storageErrors.keyAlreadyExists();
        replaced = current?.version ?? null;
        return writeRow(tx, { ...row, version: stored.version, metadata, user_metadata: file.userMetadata ?? null }, true);
      });
      await ctx.files.remove([replaced]);
      return { id, key: `${target.bucketId}/${target.objectName}` };
    } catch (error) {
      await ctx.files.remove([stored.version]);
      throw error;
    }
  } finally {
    file.body.resume();
  }
}

export interface UploadCheck {
  bucketId: string;
  objectName: string;
  owner: string | undefined;
  upsert: boolean;
  /** What RLS policies see in `metadata` before the bytes arrive (Storage: mimetype, contentLength). */
  metadata: { mimetype?: string; contentLength?: number };
  userMetadata: Record<string, unknown> | undefined;
}

/** Storage's canUpload: insert (or upsert) the row as `as` and roll back; RLS or a duplicate refuses. */
export async function testUpload(db: StorageDatabase, as: StorageCaller | 'superuser', scope: Scope, check: UploadCheck): Promise<void> {
  const owner = check.owner;
  const row = {
    bucket_id: check.bucketId, name: check.objectName, owner: owner && UUID.test(owner) ? owner : null, owner_id: owner ?? null,
    version: '1', metadata: check.metadata, user_metadata: check.userMetadata ?? null,
  };
  await db.testPermission(as === 'superuser' ? superuserCaller : as, scope, (tx) => writeRow(tx, row, check.upsert));
}

/** The row as Storage writes it (createObject / upsertObject); RLS applies when tx runs as the caller. */
async function writeRow(
  tx: Tx,
  row: { bucket_id: string; name: string; owner: string | null; owner_id: string | null; version: string; metadata: object; user_metadata: object | null },
  upsert: boolean,
): Promise<string> {
  const metadata = tx.json(row.metadata as never);
  const userMetadata = row.user_metadata === null ? null : tx.json(row.user_metadata as never);
  if (!upsert) {
    const [created] = await tx<{ id: string }[]>`
      insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata, user_metadata)
      values (${row.bucket_id}, ${row.name}, ${row.owner}, ${row.owner_id}, ${row.version}, ${metadata}, ${userMetadata})
      returning id`.catch(duplicateKey);
    return created!.id;
  }
  const [written] = await tx<{ id: string }[]>`
    insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata, user_metadata)
    values (${row.bucket_id}, ${row.name}, ${row.owner}, ${row.owner_id}, ${row.version}, ${metadata}, ${userMetadata})
    on conflict (bucket_id, name) do update set
      metadata = excluded.metadata, user_metadata = excluded.user_metadata, version = excluded.version,
      owner = coalesce(excluded.owner, objects.owner), owner_id = coalesce(excluded.owner_id, objects.owner_id)
    returning id`;
  return written!.id;
}

function duplicateKey(error: unknown): never {
  if ((error as { code?: string }).code === '23505') throw storageErrors.keyAlreadyExists();
  throw error;
}

const superuserCaller: StorageCaller = { role: 'service_role', claims: { role: 'service_role' }, authenticated: true, owner: undefined };

function contentLength(req: IncomingMessage): number | undefined {
  const value = Number(headerValue(req, 'content-length'));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

async function incomingFile(req: IncomingMessage, maxBytes: number): Promise<IncomingFile> {
  const contentType = headerValue(req, 'content-type') ?? '';
  if (/^multipart\/form-data/i.test(contentType)) return multipartFile(req, maxBytes);
  if (req.readableEnded) throw storageErrors.noContent('Request stream closed before upload could begin');
  const declared = contentLength(req);
  if (declared !== undefined && declared > maxBytes) throw storageErrors.entityTooLarge();
  return {
    body: req,
    mimeType: contentType || 'application/octet-stream',
    cacheControl: headerValue(req, 'cache-control') ?? 'no-cache',
    userMetadata: parseUserMetadata(headerValue(req, 'x-metadata')),
  };
}

/** The first file part of a multipart form and the fields sent before it (Storage reads no others). */
function multipartFile(req: IncomingMessage, maxBytes: number): Promise<IncomingFile> {
  return new Promise((resolve, reject) => {
    let parser: BusboyInstance;
    try {
      // One byte over the limit reaches the writer, which then refuses the upload as too large.
      parser = Busboy({ headers: req.headers as BusboyHeaders, limits: { fields: 10, files: 1, fileSize: maxBytes + 1 } });
    } catch (error) {
      reject(storageErrors.noContent((error as Error).message));
      return;
    }
    const fields = new Map<string, string>();
    let settled = false;
    parser.on('field', (name: string, value: string) => fields.set(name, value));
    parser.on('file', (_name: string, stream: Readable, _filename: string, _encoding: string, mimeType: string) => {
      if (settled) {
        stream.resume();
        return;
      }
      settled = true;
      const metadata = fields.get('metadata') ?? fields.get('userMetadata');
      if (metadata !== undefined && Buffer.byteLength(metadata) > MAX_USER_METADATA_BYTES) {
        stream.resume();
        reject(storageErrors.entityTooLarge('user_metadata'));
        return;
      }
      const cacheTime = fields.get('cacheControl');
      resolve({
        body: stream,
        mimeType: fields.get('contentType') || mimeType,
        cacheControl: cacheTime ? `max-age=${cacheTime}` : 'no-cache',
        userMetadata: metadata === undefined ? undefined : parseJsonObject(metadata),
      });
    });
    parser.on('finish', () => {
      if (!settled) {
        settled = true;
        reject(storageErrors.noContent());
      }
    });
    parser.on('error', (error: unknown) => {
      if (!settled) {
        settled = true;
        reject(storageErrors.noContent((error as Error).message));
      }
    });
    req.pipe(parser);
  });
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Storage's x-metadata header: base64 JSON; ignored when it does not parse. */
export function parseUserMetadata(header: string | undefined): Record<string, unknown> | undefined {
  if (header === undefined) return undefined;
  return parseJsonObject(Buffer.from(header, 'base64').toString('utf8'));
}

/**
 * Storage's check (validateMimeType): `type/subtype` must match an allowed `type/subtype` or `type/*`.
 * Media type parameters (`;charset=UTF-8`, storage-js's default content type) are ignored on both
 * sides, as Storage does since supabase/storage#1382; the stored content type keeps them.
 */
export function validateMimeType(mimeType: string, allowed: string[]): void {
  const [type, subtype] = mediaTypeOf(mimeType).split('/');
  if (subtype === undefined) throw storageErrors.invalidMimeType(mimeType);
  for (const entry of allowed) {
    const [allowedType, allowedSubtype] = mediaTypeOf(entry).split('/');
    if (allowedType === type && (allowedSubtype === '*' || allowedSubtype === subtype)) return;
  }
  throw storageErrors.invalidMimeType(mimeType);
}

const mediaTypeOf = (value: string): string => value.split(';')[0]!.trim();
