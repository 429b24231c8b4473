// Bucket routes (src/http/routes/bucket/*): list, get, create, update and delete run as the caller, so
// RLS on storage.buckets decides (Supabase has no policies there: only the service role manages
// buckets unless a project adds some); empty is for the service role only.
import { z } from 'zod';
import { sendJson } from '../gateway/index.ts';
import type { Tx } from './caller.ts';
import { parseBody, type StorageCall, type StorageContext } from './context.ts';
import { storageErrors } from './errors.ts';
import { mustBeValidBucketName, mustBeValidMimeTypes, parseFileSizeLimit } from './names.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const sizeLimit = z.union([z.number(), z.string()]).nullable().optional();
const mimeTypes = z.array(z.string().nullable()).nullable().optional();

const createBody = z.object({
  name: z.string({ message: "must have required property 'name'" }),
  id: z.string().optional(),
  public: z.boolean().optional(),
  type: z.enum(['STANDARD', 'ANALYTICS', 'VECTOR']).optional(),
  file_size_limit: sizeLimit,
  allowed_mime_types: mimeTypes,
});

const updateBody = z.object({
  public: z.boolean().optional(),
  file_size_limit: sizeLimit,
  allowed_mime_types: mimeTypes,
});

/** file_size_limit as stored: bytes, at most the stack's global limit (Storage: EntityTooLarge). */
function bucketSizeLimit(ctx: StorageContext, value: unknown): number | null | undefined {
  const bytes = parseFileSizeLimit(value);
  if (typeof bytes === 'number' && bytes > ctx.fileSizeLimit) throw storageErrors.entityTooLarge();
  return bytes;
}

function bucketMimeTypes(value: (string | null)[] | null | undefined): string[] | null | undefined {
  if (!value) return value;
  const types = value.filter((type): type is string => Boolean(type));
  mustBeValidMimeTypes(types);
  return types;
}

interface BucketRow {
  id: string;
  name: string;
  owner: string | null;
  public: boolean | null;
  file_size_limit: string | number | null;
  allowed_mime_types: string[] | null;
  created_at: string;
  updated_at: string;
  type?: string;
}

const asJson = (row: BucketRow) => ({ ...row, file_size_limit: row.file_size_limit === null ? null : Number(row.file_size_limit) });

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  sortColumn: z.enum(['id', 'name', 'created_at', 'updated_at']).optional(),
  sortOrder: z.enum(['asc', 'desc']).optional(),
  search: z.string().optional(),
});

/** GET /bucket: the buckets RLS shows the caller. */
export async function listBuckets(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const options = parseBody(listQuery, Object.fromEntries(call.query));
  const rows = await ctx.db.asCaller(caller, call.scope, (tx) => {
    const search = options.search ? tx`where name ilike ${`%${options.search.replace(/[\\%_]/g, '\\$&')}%`}` : tx``;
    const order = options.sortColumn ? tx`order by ${tx(options.sortColumn)} ${options.sortOrder === 'desc' ? tx`desc` : tx`asc`}` : tx``;
    const limit = options.limit !== undefined ? tx`limit ${options.limit}` : tx``;
    const offset = options.offset !== undefined ? tx`offset ${options.offset}` : tx``;
    return tx<BucketRow[]>`
      select id, name, public, owner, created_at, updated_at, file_size_limit, allowed_mime_types, type
      from storage.buckets ${search} ${order} ${limit} ${offset}`;
  });
  sendJson(call.res, 200, rows.map(asJson));
}

/** GET /bucket/:id. */
export async function getBucket(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const [row] = await ctx.db.asCaller(caller, call.scope, (tx) => tx<BucketRow[]>`
    select id, name, owner, public, created_at, updated_at, file_size_limit, allowed_mime_types
    from storage.buckets where id = ${call.params[0]!}`);
  if (!row) throw storageErrors.noSuchBucket();
  sendJson(call.res, 200, asJson(row));
}

/** POST /bucket: a standard bucket owned by the caller, if RLS lets the caller insert it. */
export async function createBucket(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const body = await call.json(createBody);
  if (body.type && body.type !== 'STANDARD') throw storageErrors.notSupported(`${body.type} buckets`);
  mustBeValidBucketName(body.name);
  const id = body.id || body.name;
  mustBeValidBucketName(id);
  const fileSizeLimit = bucketSizeLimit(ctx, body.file_size_limit) ?? null;
  const allowed = bucketMimeTypes(body.allowed_mime_types) ?? null;
  const owner = caller.owner;
  await ctx.db.asCaller(caller, call.scope, (tx) => tx`
    insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types, type)
    values (${id}, ${body.name}, ${owner && UUID.test(owner) ? owner : null}, ${owner ?? null}, ${body.public ?? false},
            ${fileSizeLimit}, ${allowed}, 'STANDARD')`.catch((error: { code?: string }) => {
    if (error.code === '23505') throw storageErrors.bucketAlreadyExists();
    throw error;
  }));
  sendJson(call.res, 200, { name: body.name });
}

/** PUT /bucket/:id: public, file_size_limit, allowed_mime_types (those given). */
export async function updateBucket(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const bucketId = call.params[0]!;
  mustBeValidBucketName(bucketId);
  const body = await call.json(updateBody);
  if (body.public === undefined && body.file_size_limit === undefined && body.allowed_mime_types === undefined) {
    throw storageErrors.noContent();
  }
  const changes: Record<string, unknown> = {};
  if (body.public !== undefined) changes.public = body.public;
  if (body.file_size_limit !== undefined) changes.file_size_limit = bucketSizeLimit(ctx, body.file_size_limit);
  if (body.allowed_mime_types !== undefined) changes.allowed_mime_types = bucketMimeTypes(body.allowed_mime_types);
  const updated = await ctx.db.asCaller(caller, call.scope, (tx) => tx`
    update storage.buckets set ${tx(changes)}, updated_at = now() where id = ${bucketId} returning id`);
  if (updated.length === 0) throw storageErrors.noSuchBucket();
  sendJson(call.res, 200, { message: 'Successfully updated' });
}

/** DELETE /bucket/:id: only an empty bucket. */
export async function deleteBucket(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const bucketId = call.params[0]!;
  const [state] = await ctx.db.asSuperUser(call.scope, (tx) => tx<{ exists: boolean; has_objects: boolean }[]>`
    select exists (select 1 from storage.buckets where id = ${bucketId}) as exists,
           exists (select 1 from storage.objects where bucket_id = ${bucketId}) as has_objects`);
  if (!state?.exists) throw storageErrors.noSuchBucket();
  if (state.has_objects) throw storageErrors.bucketNotEmpty();
  const deleted = await ctx.db.asCaller(caller, call.scope, (tx) => tx`delete from storage.buckets where id = ${bucketId} returning id`);
  if (deleted.length === 0) throw storageErrors.noSuchBucket();
  sendJson(call.res, 200, { message: 'Successfully deleted' });
}

/** POST /bucket/:id/empty (service role): deletes every object of the bucket and its bytes. */
export async function emptyBucket(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  if (caller.role !== 'service_role') throw storageErrors.accessDenied('Access denied: Invalid role', 403);
  const bucketId = call.params[0]!;
  const versions = await ctx.db.asCaller(caller, call.scope, async (tx: Tx) => {
    const [bucket] = await tx`select 1 from storage.buckets where id = ${bucketId}`;
    if (!bucket) throw storageErrors.noSuchBucket();
    const deleted = await tx<{ version: string | null }[]>`delete from storage.objects where bucket_id = ${bucketId} returning version`;
    return deleted.map((row) => row.version);
  });
  await ctx.files.remove(versions);
  sendJson(call.res, 200, { message: 'Empty bucket has been queued. Completion may take up to an hour.' });
}
