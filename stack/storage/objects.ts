// Object routes other than uploads and signed URLs: download, HEAD and info (authenticated, anonymous
// and public), list, remove, move and copy. Each reads or changes storage.objects as the caller (RLS),
// as Storage does (src/storage/object.ts, src/http/routes/object/*).
import { z } from 'zod';
import { sendJson } from '../gateway/index.ts';
import type { StorageCaller, Tx } from './caller.ts';
import { objectParams, parseBody, type StorageCall, type StorageContext } from './context.ts';
import { storageErrors } from './errors.ts';
import { mustBeValidKey } from './names.ts';
import { sendAsset } from './respond.ts';
import { parseUserMetadata } from './upload.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ObjectRow {
  id: string;
  name: string;
  bucket_id: string;
  version: string | null;
  metadata: Record<string, unknown> | null;
  user_metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

async function findObject(tx: Tx, bucketId: string, name: string): Promise<ObjectRow | undefined> {
  const [row] = await tx<ObjectRow[]>`
    select id, name, bucket_id, version, metadata, user_metadata, created_at, updated_at
    from storage.objects where bucket_id = ${bucketId} and name = ${name}`;
  return row;
}

/**
 * The object a GET/HEAD/info may read: the bucket must exist (and be public for an anonymous
 * caller); in a public bucket anyone reads, otherwise RLS as the caller decides.
 */
async function readableObject(ctx: StorageContext, call: StorageCall, caller: StorageCaller | 'public'): Promise<ObjectRow> {
  const { bucketId, objectName } = objectParams(call);
  mustBeValidKey(objectName);
  const [bucket] = await ctx.db.asSuperUser(call.scope, (tx) => tx<{ public: boolean | null }[]>`
    select public from storage.buckets where id = ${bucketId}`);
  if (!bucket || (caller === 'public' && !bucket.public) || (caller !== 'public' && !caller.authenticated && !bucket.public)) {
    throw storageErrors.noSuchBucket();
  }
  const row = bucket.public || caller === 'public'
    ? await ctx.db.asSuperUser(call.scope, (tx) => findObject(tx, bucketId, objectName))
    : await ctx.db.asCaller(caller, call.scope, (tx) => findObject(tx, bucketId, objectName));
  if (!row) throw storageErrors.noSuchKey();
  return row;
}

/** GET/HEAD /object/{authenticated/}:bucket/*, /object/public/:bucket/*. */
export function download(mode: 'anonymous-allowed' | 'authenticated' | 'public') {
  return async (ctx: StorageContext, call: StorageCall) => {
    const caller = mode === 'public' ? 'public' : await call.caller(mode === 'anonymous-allowed');
    const row = await readableObject(ctx, call, caller);
    await sendAsset(call.req, call.res, ctx.files, row, { download: call.query.get('download') });
  };
}

/** GET /object/info/{authenticated/|public/}:bucket/*: the object's details as storage-js info() reads them. */
export function info(mode: 'anonymous-allowed' | 'authenticated' | 'public') {
  return async (ctx: StorageContext, call: StorageCall) => {
    const caller = mode === 'public' ? 'public' : await call.caller(mode === 'anonymous-allowed');
    const row = await readableObject(ctx, call, caller);
    const meta = row.metadata ?? {};
    const headers: Record<string, string> = {};
    if (typeof meta.eTag === 'string') headers.etag = meta.eTag;
    if (typeof meta.cacheControl === 'string') headers['cache-control'] = meta.cacheControl;
    sendJson(call.res, 200, {
      id: row.id,
      name: row.name,
      version: row.version,
      bucket_id: row.bucket_id,
      size: meta.size ?? null,
      content_type: meta.mimetype ?? null,
      cache_control: meta.cacheControl ?? null,
      etag: meta.eTag ?? null,
      metadata: row.user_metadata,
      last_modified: row.updated_at,
      created_at: row.created_at,
    }, headers);
  };
}

const listBody = z.object({
  prefix: z.string({ message: "must have required property 'prefix'" }),
  limit: z.number().int().min(1).optional(),
  offset: z.number().int().min(0).optional(),
  sortBy: z.object({
    column: z.enum(['name', 'updated_at', 'created_at', 'last_accessed_at']),
    order: z.enum(['asc', 'desc']).optional(),
  }).optional(),
  search: z.string().optional(),
});

/** POST /object/list/:bucket: one folder level (storage.search, as the caller). */
export async function list(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const body = await call.json(listBody);
  const prefix = body.prefix.length > 0 && !body.prefix.endsWith('/') ? `${body.prefix}/` : body.prefix;
  const rows = await ctx.db.asCaller(caller, call.scope, (tx) => tx`
    select * from storage.search(${prefix}, ${call.params[0]!}, ${body.limit ?? 100}, 1, ${body.offset ?? 0},
      ${body.search ?? ''}, ${body.sortBy?.column ?? 'name'}, ${body.sortBy?.order ?? 'asc'})`);
  sendJson(call.res, 200, rows);
}

const removeBody = z.object({ prefixes: z.array(z.string()).min(1).max(1000) });

/** DELETE /object/:bucket {prefixes}: deletes what RLS lets the caller delete and returns those rows. */
export async function removeMany(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const { prefixes } = await call.json(removeBody);
  const deleted = await ctx.db.asCaller(caller, call.scope, (tx) => tx<(ObjectRow & { version: string | null })[]>`
    delete from storage.objects where bucket_id = ${call.params[0]!} and name = any(${prefixes})
    returning bucket_id, name, owner, owner_id, version, id, updated_at, created_at, last_accessed_at, metadata, user_metadata`);
  await ctx.files.remove(deleted.map((row) => row.version));
  sendJson(call.res, 200, deleted);
}

/** DELETE /object/:bucket/*: one object; refused when RLS keeps the caller from deleting it. */
export async function removeOne(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const { bucketId, objectName } = objectParams(call);
  mustBeValidKey(objectName);
  const exists = await ctx.db.asSuperUser(call.scope, (tx) => findObject(tx, bucketId, objectName));
  if (!exists) throw storageErrors.noSuchKey();
  const deleted = await ctx.db.asCaller(caller, call.scope, (tx) => tx<{ version: string | null }[]>`
    delete from storage.objects where bucket_id = ${bucketId} and name = ${objectName} returning version`);
  if (deleted.length === 0) throw storageErrors.accessDenied('Access denied');
  await ctx.files.remove(deleted.map((row) => row.version));
  sendJson(call.res, 200, { message: 'Successfully deleted' });
}

const moveBody = z.object({
  bucketId: z.string({ message: "must have required property 'bucketId'" }),
  sourceKey: z.string({ message: "must have required property 'sourceKey'" }),
  destinationKey: z.string({ message: "must have required property 'destinationKey'" }),
  destinationBucket: z.string().optional(),
});

/**
 * POST /object/move. RLS must let the caller see the source and update it into the destination
 * (USING on the old row, WITH CHECK on the new one); the stored bytes stay, only the row moves.
 */
export async function move(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const body = await call.json(moveBody);
  mustBeValidKey(body.destinationKey);
  const destinationBucket = body.destinationBucket || body.bucketId;
  const owner = caller.owner;
  const ownerUuid = owner && UUID.test(owner) ? owner : null;
  const update = (tx: Tx) => tx<{ id: string }[]>`
    update storage.objects set name = ${body.destinationKey}, bucket_id = ${destinationBucket},
      owner = coalesce(${ownerUuid}::uuid, owner), owner_id = coalesce(${owner ?? null}::text, owner_id)
    where bucket_id = ${body.bucketId} and name = ${body.sourceKey} returning id`;
  await ctx.db.testPermission(caller, call.scope, async (tx) => {
    if (!(await findObject(tx, body.bucketId, body.sourceKey))) throw storageErrors.noSuchKey();
    if ((await update(tx)).length === 0) throw storageErrors.noSuchKey();
  });
  const [moved] = await ctx.db.asSuperUser(call.scope, update);
  if (!moved) throw storageErrors.noSuchKey();
  sendJson(call.res, 200, { message: 'Successfully moved', Id: moved.id, Key: body.destinationKey });
}

const copyBody = moveBody.extend({
  metadata: z.object({ cacheControl: z.string().optional(), mimetype: z.string().optional() }).optional(),
  copyMetadata: z.boolean().optional(),
});

/** POST /object/copy: the caller must read the source and may insert (x-upsert: upsert) the destination. */
export async function copy(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const body = await call.json(copyBody);
  mustBeValidKey(body.destinationKey);
  const destinationBucket = body.destinationBucket || body.bucketId;
  const upsert = call.req.headers['x-upsert'] === 'true';
  const source = await ctx.db.asCaller(caller, call.scope, (tx) => findObject(tx, body.bucketId, body.sourceKey));
  if (!source?.version) throw storageErrors.noSuchKey();

  const metadata: Record<string, unknown> = { ...(source.metadata ?? {}) };
  if (body.copyMetadata === false) {
    if (body.metadata?.cacheControl !== undefined) metadata.cacheControl = body.metadata.cacheControl;
    if (body.metadata?.mimetype !== undefined) metadata.mimetype = body.metadata.mimetype;
  }
  const headerMetadata = call.req.headers['x-metadata'];
  const userMetadata = body.copyMetadata === false
    ? parseUserMetadata(typeof headerMetadata === 'string' ? headerMetadata : undefined) ?? null
    : source.user_metadata;
  const owner = caller.owner;
  const row = (tx: Tx, version: string, meta: Record<string, unknown>, conflict: 'update' | 'fail') => {
    const values = {
      bucket_id: destinationBucket, name: body.destinationKey, owner: owner && UUID.test(owner) ? owner : null,
      owner_id: owner ?? null, version, metadata: tx.json(meta as never), user_metadata: userMetadata === null ? null : tx.json(userMetadata as never),
    };
    return conflict === 'fail'
      ? tx<{ id: string }[]>`insert into storage.objects ${tx(values)} returning id`
      : tx<{ id: string }[]>`insert into storage.objects ${tx(values)} on conflict (bucket_id, name) do update set
          metadata = excluded.metadata, user_metadata = excluded.user_metadata, version = excluded.version,
          owner = coalesce(excluded.owner, objects.owner), owner_id = coalesce(excluded.owner_id, objects.owner_id) returning id`;
  };
  await ctx.db.testPermission(caller, call.scope, (tx) => row(tx, '1', metadata, upsert ? 'update' : 'fail').catch(duplicate));

  const stored = await ctx.files.copy(source.version);
  const finalMetadata = { ...metadata, eTag: stored.eTag, lastModified: stored.lastModified.toISOString(), size: stored.size, contentLength: stored.size };
  let replaced: string | null = null;
  try {
    const id = await ctx.db.asSuperUser(call.scope, async (tx) => {
      const [current] = await tx<{ version: string | null }[]>`
        select version from storage.objects where bucket_id = ${destinationBucket} and name = ${body.destinationKey} for update`;
      if (current && !upsert) throw storageErrors.keyAlreadyExists();
      replaced = current?.version ?? null;
      const [written] = await row(tx, stored.version, finalMetadata, 'update');
      return written!.id;
    });
    await ctx.files.remove([replaced]);
    sendJson(call.res, 200, { Id: id, Key: `${destinationBucket}/${body.destinationKey}`, id, name: body.destinationKey, bucket_id: destinationBucket, version: stored.version, metadata: finalMetadata });
  } catch (error) {
    await ctx.files.remove([stored.version]);
    throw error;
  }
}

function duplicate(error: unknown): never {
  if ((error as { code?: string }).code === '23505') throw storageErrors.keyAlreadyExists();
  throw error;
}
