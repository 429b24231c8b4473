// /storage/v1 through the real supabase-js storage client (@supabase/storage-js): buckets, uploads
// (raw body and multipart), downloads, info/exists, list, signed URLs both ways, move, copy, remove,
// and Storage's refusals: HTTP 400 with the meaning in `statusCode`, as Supabase Storage answers.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let service: SupabaseClient;
let user: SignedUpUser;

beforeAll(async () => {
  stack = await startTestStack();
  service = stack.serviceClient();
  user = await stack.signUp();
  for (const { error } of [
    await service.storage.createBucket('docs', { public: false }),
    await service.storage.createBucket('pics', { public: true, allowedMimeTypes: ['image/*'], fileSizeLimit: '1KB' }),
    await service.storage.createBucket('notes', { public: false, allowedMimeTypes: ['text/plain', 'application/json;charset=utf-8'], fileSizeLimit: 100 }),
  ]) if (error) throw error;
  // Users may write and read their own folder of `docs` (Supabase's folder-per-user policy).
  await stack.sql.unsafe(`
    create policy "own folder" on storage.objects for all to authenticated
      using (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.uid()::text)
      with check (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.uid()::text)`);
});
afterAll(() => stack?.stop());

const md5 = (data: Buffer | string) => `"${createHash('md5').update(data).digest('hex')}"`;

describe('buckets', () => {
  it('the service role creates, reads, lists and updates buckets', async () => {
    const created = await service.storage.createBucket('tmp-bucket', { public: false, fileSizeLimit: 2048, allowedMimeTypes: ['text/plain'] });
    expect(created).toEqual({ data: { name: 'tmp-bucket' }, error: null });
    const got = await service.storage.getBucket('tmp-bucket');
    expect(got.error).toBeNull();
    expect(got.data).toMatchObject({ id: 'tmp-bucket', name: 'tmp-bucket', public: false, file_size_limit: 2048, allowed_mime_types: ['text/plain'], owner: null });
    const updated = await service.storage.updateBucket('tmp-bucket', { public: true, fileSizeLimit: '2MB', allowedMimeTypes: null });
    expect(updated).toEqual({ data: { message: 'Successfully updated' }, error: null });
    expect((await service.storage.getBucket('tmp-bucket')).data).toMatchObject({ public: true, file_size_limit: 2_000_000, allowed_mime_types: null });
    const listed = await service.storage.listBuckets({ search: 'tmp', sortColumn: 'name' });
    expect(listed.data?.map((b) => b.id)).toEqual(['tmp-bucket']);
    const all = await service.storage.listBuckets();
    // The migrations' own buckets (e.g. whatsapp-media) are listed too.
    const fromMigrations = (await stack.sql<{ id: string }[]>`select id from storage.buckets where id not in ('docs', 'notes', 'pics', 'tmp-bucket')`).map((b) => b.id);
    expect(all.data?.map((b) => b.id).sort()).toEqual(['docs', 'notes', 'pics', 'tmp-bucket', ...fromMigrations].sort());
  });

  it('a bucket that exists already is a duplicate (409); bad names and sizes are refused', async () => {
    const again = await service.storage.createBucket('docs');
    expect(again.error).toMatchObject({ status: 400, statusCode: '409', message: 'The resource already exists' });
    const badName = await service.storage.createBucket('no/slash');
    expect(badName.error).toMatchObject({ status: 400, statusCode: '400', message: 'Bucket name invalid' });
    const tooBig = await service.storage.createBucket('huge', { public: false, fileSizeLimit: '100GB' });
    expect(tooBig.error).toMatchObject({ statusCode: '413' });
    const badMime = await service.storage.createBucket('badmime', { public: false, allowedMimeTypes: ['not a mime'] });
    expect(badMime.error).toMatchObject({ statusCode: '415' });
    expect((await service.storage.getBucket('huge')).error).toMatchObject({ status: 400, statusCode: '404', message: 'Bucket not found' });
  });

  it('users cannot create or see buckets without a policy on storage.buckets (RLS)', async () => {
    const created = await user.client.storage.createBucket('mine');
    expect(created.error).toMatchObject({ status: 400, statusCode: '403', message: 'new row violates row-level security policy' });
    expect(await user.client.storage.listBuckets()).toEqual({ data: [], error: null });
    expect((await user.client.storage.getBucket('docs')).error).toMatchObject({ statusCode: '404' });
  });

  it('empty (service role only) then delete; a non-empty bucket is not deleted', async () => {
    await service.storage.from('tmp-bucket').upload('a.txt', 'hello', { contentType: 'text/plain' });
    expect((await service.storage.deleteBucket('tmp-bucket')).error).toMatchObject({ statusCode: '409' });
    const refused = await user.client.storage.emptyBucket('tmp-bucket');
    expect(refused.error).toMatchObject({ status: 403, statusCode: '403' });
    expect((await service.storage.emptyBucket('tmp-bucket')).error).toBeNull();
    expect(await service.storage.deleteBucket('tmp-bucket')).toEqual({ data: { message: 'Successfully deleted' }, error: null });
    expect((await service.storage.getBucket('tmp-bucket')).error).toMatchObject({ statusCode: '404' });
    expect((await service.storage.deleteBucket('tmp-bucket')).error).toMatchObject({ statusCode: '404' });
  });
});

describe('objects', () => {
  it('uploads a Buffer (raw body) and a Blob (multipart) and reads them back byte for byte', async () => {
    const folder = user.user.id;
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
    const raw = await user.client.storage.from('docs').upload(`${folder}/raw.bin`, bytes, { contentType: 'application/octet-stream', cacheControl: '60' });
    expect(raw.error).toBeNull();
    expect(raw.data).toMatchObject({ path: `${folder}/raw.bin`, fullPath: `docs/${folder}/raw.bin` });
    expect(raw.data!.id).toMatch(/^[0-9a-f-]{36}$/);
    const blob = await user.client.storage.from('docs').upload(`${folder}/note.txt`, new Blob(['hello storage'], { type: 'text/plain' }), { metadata: { lead: 42 } });
    expect(blob.error).toBeNull();

    const downloaded = await user.client.storage.from('docs').download(`${folder}/raw.bin`);
    expect(downloaded.error).toBeNull();
    expect(Buffer.from(await downloaded.data!.arrayBuffer())).toEqual(bytes);
    const text = await user.client.storage.from('docs').download(`${folder}/note.txt`);
    expect(await text.data!.text()).toBe('hello storage');

    const [row] = await stack.sql`select owner, owner_id, metadata, user_metadata, path_tokens from storage.objects where name = ${`${folder}/note.txt`}`;
    expect(row).toMatchObject({
      owner: folder, owner_id: folder, path_tokens: [folder, 'note.txt'], user_metadata: { lead: 42 },
      metadata: { size: 13, mimetype: 'text/plain', cacheControl: 'max-age=3600', eTag: md5('hello storage'), contentLength: 13, httpStatusCode: 200 },
    });
  });

  it('info() and exists() describe the object; a missing one is 404 / false', async () => {
    const path = `${user.user.id}/note.txt`;
    const info = await user.client.storage.from('docs').info(path);
    expect(info.error).toBeNull();
    expect(info.data).toMatchObject({ name: path, bucketId: 'docs', size: 13, contentType: 'text/plain', etag: md5('hello storage'), metadata: { lead: 42 } });
    expect(await user.client.storage.from('docs').exists(path)).toEqual({ data: true, error: null });
    const missing = await user.client.storage.from('docs').exists(`${user.user.id}/nope.txt`);
    expect(missing.data).toBe(false);
    const download = await user.client.storage.from('docs').download(`${user.user.id}/nope.txt`);
    expect(download.error).toMatchObject({ status: 400, statusCode: '404', message: 'Object not found' });
  });

  it('upload without upsert onto an existing key is a duplicate; upsert and update replace the bytes', async () => {
    const path = `${user.user.id}/note.txt`;
    const duplicate = await user.client.storage.from('docs').upload(path, 'other', { contentType: 'text/plain' });
    expect(duplicate.error).toMatchObject({ status: 400, statusCode: '409', message: 'The resource already exists' });
    expect(await (await user.client.storage.from('docs').download(path)).data!.text()).toBe('hello storage');
    const upserted = await user.client.storage.from('docs').upload(path, 'second version', { contentType: 'text/plain', upsert: true });
    expect(upserted.error).toBeNull();
    expect(await (await user.client.storage.from('docs').download(path)).data!.text()).toBe('second version');
    const updated = await user.client.storage.from('docs').update(path, 'third', { contentType: 'text/markdown' });
    expect(updated.error).toBeNull();
    const info = await user.client.storage.from('docs').info(path);
    expect(info.data).toMatchObject({ size: 5, contentType: 'text/markdown' });
  });

  // Counts the files in the local stack's storage folder: nothing to count on an external Supabase.
  it.skipIf(Boolean(process.env.SUPABASE_URL))('the replaced and removed versions leave no file behind', async () => {
    const rows = await stack.sql`select 1 from storage.objects where version is not null`;
    expect((await storedFiles()).length).toBe(rows.length);
  });

  it('list: one folder level, folders first-class, limit/offset, sortBy and search', async () => {
    const docs = user.client.storage.from('docs');
    const folder = user.user.id;
    for (const name of ['b.txt', 'a.txt', 'C.txt', 'sub/x.txt', 'sub/deeper/y.txt']) {
      const { error } = await docs.upload(`${folder}/list/${name}`, name, { contentType: 'text/plain' });
      expect(error).toBeNull();
    }
    const listed = await docs.list(`${folder}/list`);
    expect(listed.error).toBeNull();
    expect(listed.data!.map((entry) => [entry.name, entry.id === null])).toEqual([['a.txt', false], ['b.txt', false], ['C.txt', false], ['sub', true]]);
    expect(listed.data![0]).toMatchObject({ metadata: { size: 5, mimetype: 'text/plain' } });
    const page = await docs.list(`${folder}/list`, { limit: 2, offset: 1 });
    expect(page.data!.map((entry) => entry.name)).toEqual(['b.txt', 'C.txt']);
    const desc = await docs.list(`${folder}/list`, { sortBy: { column: 'name', order: 'desc' } });
    expect(desc.data!.map((entry) => entry.name)).toEqual(['sub', 'C.txt', 'b.txt', 'a.txt']);
    const byDate = await docs.list(`${folder}/list`, { sortBy: { column: 'created_at', order: 'asc' } });
    expect(byDate.data!.map((entry) => entry.name)).toEqual(['sub', 'b.txt', 'a.txt', 'C.txt']);
    const searched = await docs.list(`${folder}/list`, { search: 'c' });
    expect(searched.data!.map((entry) => entry.name)).toEqual(['C.txt']);
    const nested = await docs.list(`${folder}/list/sub`);
    expect(nested.data!.map((entry) => entry.name)).toEqual(['deeper', 'x.txt']);
  });

  it('move and copy, then remove returns the removed objects', async () => {
    const docs = user.client.storage.from('docs');
    const folder = user.user.id;
    expect(await docs.move(`${folder}/list/a.txt`, `${folder}/moved/a.txt`)).toMatchObject({ data: { message: 'Successfully moved', Key: `${folder}/moved/a.txt` }, error: null });
    expect(await (await docs.download(`${folder}/moved/a.txt`)).data!.text()).toBe('a.txt');
    expect((await docs.download(`${folder}/list/a.txt`)).error).toMatchObject({ statusCode: '404' });
    const copied = await docs.copy(`${folder}/moved/a.txt`, `${folder}/copied/a.txt`);
    expect(copied).toEqual({ data: { path: `docs/${folder}/copied/a.txt` }, error: null });
    expect(await (await docs.download(`${folder}/copied/a.txt`)).data!.text()).toBe('a.txt');
    expect((await docs.copy(`${folder}/moved/a.txt`, `${folder}/copied/a.txt`)).error).toMatchObject({ statusCode: '409' });
    expect((await docs.move(`${folder}/moved/missing.txt`, `${folder}/x.txt`)).error).toMatchObject({ statusCode: '404' });

    const removed = await docs.remove([`${folder}/moved/a.txt`, `${folder}/copied/a.txt`, `${folder}/never.txt`]);
    expect(removed.error).toBeNull();
    expect(removed.data!.map((row) => row.name).sort()).toEqual([`${folder}/copied/a.txt`, `${folder}/moved/a.txt`]);
    expect((await docs.download(`${folder}/copied/a.txt`)).error).toMatchObject({ statusCode: '404' });
    if (!stack.external) expect((await storedFiles()).length).toBe((await stack.sql`select 1 from storage.objects where version is not null`).length);
  });

  it('public buckets: anyone downloads through getPublicUrl; MIME types and size limits are enforced', async () => {
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const up = await service.storage.from('pics').upload('logo.png', png, { contentType: 'image/png' });
    expect(up.error).toBeNull();
    const { data } = service.storage.from('pics').getPublicUrl('logo.png');
    const res = await fetch(data.publicUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(png);
    const anon = await stack.client().storage.from('pics').download('logo.png');
    expect(anon.error).toBeNull();

    const wrongType = await service.storage.from('pics').upload('doc.pdf', Buffer.from('%PDF'), { contentType: 'application/pdf' });
    expect(wrongType.error).toMatchObject({ status: 400, statusCode: '415', message: 'mime type application/pdf is not supported' });
    const tooLarge = await service.storage.from('pics').upload('big.png', Buffer.alloc(1001), { contentType: 'image/png' });
    expect(tooLarge.error).toMatchObject({ status: 400, statusCode: '413', message: 'The object exceeded the maximum allowed size' });
    const tooLargeForm = await service.storage.from('pics').upload('big.png', new Blob([Buffer.alloc(1001)], { type: 'image/png' }));
    expect(tooLargeForm.error).toMatchObject({ statusCode: '413' });
    expect(await stack.sql`select name from storage.objects where bucket_id = 'pics' order by name`).toEqual([{ name: 'logo.png' }]);

    const privateUrl = service.storage.from('docs').getPublicUrl(`${user.user.id}/note.txt`).data.publicUrl;
    const refused = await fetch(privateUrl);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ statusCode: '404', error: 'Bucket not found' });
  });

  it('MIME limits ignore media type parameters (storage-js sends text/plain;charset=UTF-8 by default) and keep them on the object', async () => {
    const notes = service.storage.from('notes');
    // A string body without a contentType: storage-js sends its default, text/plain;charset=UTF-8.
    expect((await notes.upload('default.txt', 'hello')).error).toBeNull();
    expect((await notes.upload('plain.txt', 'plain', { contentType: 'text/plain; charset=iso-8859-1' })).error).toBeNull();
    expect((await notes.upload('data.json', '{}', { contentType: 'application/json' })).error).toBeNull();
    expect((await notes.upload('page.html', '<p>', { contentType: 'text/html;charset=UTF-8' })).error)
      .toMatchObject({ statusCode: '415', message: 'mime type text/html;charset=UTF-8 is not supported' });
    expect((await notes.info('plain.txt')).data?.contentType).toBe('text/plain; charset=iso-8859-1');
    const signed = await notes.createSignedUrl('default.txt', 60);
    expect((await fetch(signed.data!.signedUrl)).headers.get('content-type')).toBe('text/plain;charset=UTF-8');
  });

  it('a signed upload URL is held to the bucket’s MIME types and size limit', async () => {
    const notes = service.storage.from('notes');
    const ticket = await notes.createSignedUploadUrl('signed.txt');
    const anonymous = stack.client().storage.from('notes');
    expect((await anonymous.uploadToSignedUrl('signed.txt', ticket.data!.token, '<p>', { contentType: 'text/html' })).error)
      .toMatchObject({ statusCode: '415' });
    expect((await anonymous.uploadToSignedUrl('signed.txt', ticket.data!.token, 'x'.repeat(101), { contentType: 'text/plain' })).error)
      .toMatchObject({ statusCode: '413' });
    expect((await anonymous.uploadToSignedUrl('signed.txt', ticket.data!.token, 'fits', { contentType: 'text/plain' })).error).toBeNull();
  });

  it('the secret key (sb_secret_…) acts as the service role and the publishable key as anon', async () => {
    // As a backend creates them: the key is both the apikey and the bearer token.
    const keyClient = (key: string) => createClient(stack.url, key, {
      auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never },
    });
    const admin = keyClient(stack.secretKey).storage.from('docs');
    const path = `${user.user.id}/from-backend.txt`;
    expect((await admin.upload(path, 'backend', { contentType: 'text/plain' })).error).toBeNull();
    expect(await (await user.client.storage.from('docs').download(path)).data?.text()).toBe('backend');
    const publishable = keyClient(stack.publishableKey).storage.from('docs');
    expect((await publishable.download(path)).error).toMatchObject({ statusCode: '404' });
    expect((await publishable.upload(`${user.user.id}/anon.txt`, 'x', { contentType: 'text/plain' })).error).toMatchObject({ statusCode: '403' });
  });

  it('range requests get 206 with the asked bytes', async () => {
    const path = `${user.user.id}/range.txt`;
    await user.client.storage.from('docs').upload(path, '0123456789', { contentType: 'text/plain' });
    const { data } = await user.client.storage.from('docs').createSignedUrl(path, 60);
    const res = await fetch(data!.signedUrl, { headers: { range: 'bytes=2-5' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(await res.text()).toBe('2345');
    expect((await fetch(data!.signedUrl, { headers: { range: 'bytes=20-30' } })).status).toBe(416);
  });
});

describe('signed URLs', () => {
  it('createSignedUrl(s): downloads without a session or API key, with download names; other keys and bad tokens are refused', async () => {
    const docs = user.client.storage.from('docs');
    const path = `${user.user.id}/note.txt`;
    const signed = await docs.createSignedUrl(path, 60, { download: 'my note.txt' });
    expect(signed.error).toBeNull();
    const res = await fetch(signed.data!.signedUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('third');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename=my%20note.txt; filename*=UTF-8''my%20note.txt`);
    expect(res.headers.get('expires')).not.toBeNull();

    const token = new URL(signed.data!.signedUrl).searchParams.get('token')!;
    const otherKey = await fetch(`${stack.url}/storage/v1/object/sign/docs/${user.user.id}/raw.bin?token=${token}`);
    expect(await otherKey.json()).toMatchObject({ statusCode: '400', error: 'InvalidSignature' });
    const forged = await fetch(`${stack.url}/storage/v1/object/sign/docs/${path}?token=${token.slice(0, -4)}AAAA`);
    expect(await forged.json()).toMatchObject({ statusCode: '400', error: 'InvalidJWT' });

    const many = await docs.createSignedUrls([path, `${user.user.id}/missing.txt`], 60);
    expect(many.error).toBeNull();
    expect(many.data![0]).toMatchObject({ path, error: null });
    expect(await (await fetch(many.data![0]!.signedUrl!)).text()).toBe('third');
    expect(many.data![1]).toMatchObject({ path: `${user.user.id}/missing.txt`, signedUrl: null, error: 'Either the object does not exist or you do not have access to it' });
    expect((await docs.createSignedUrl(`${user.user.id}/missing.txt`, 60)).error).toMatchObject({ statusCode: '404' });
  });

  it('an expired signed URL is refused', async () => {
    const signed = await user.client.storage.from('docs').createSignedUrl(`${user.user.id}/note.txt`, 1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const res = await fetch(signed.data!.signedUrl);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ statusCode: '400', error: 'InvalidJWT', message: '"exp" claim timestamp check failed' });
  });

  it('createSignedUploadUrl + uploadToSignedUrl: the token owner’s object, once; a download token cannot upload', async () => {
    const docs = user.client.storage.from('docs');
    const path = `${user.user.id}/signed-upload.txt`;
    const ticket = await docs.createSignedUploadUrl(path);
    expect(ticket.error).toBeNull();
    expect(ticket.data).toMatchObject({ path, token: expect.any(String) });
    const anonymous = stack.client().storage.from('docs');
    const uploaded = await anonymous.uploadToSignedUrl(path, ticket.data!.token, 'via signed url', { contentType: 'text/plain' });
    expect(uploaded).toEqual({ data: { path, fullPath: `docs/${path}` }, error: null });
    const [row] = await stack.sql`select owner_id from storage.objects where name = ${path}`;
    expect(row).toEqual({ owner_id: user.user.id });
    const again = await anonymous.uploadToSignedUrl(path, ticket.data!.token, 'again', { contentType: 'text/plain' });
    expect(again.error).toMatchObject({ statusCode: '409' });

    const download = await docs.createSignedUrl(path, 60);
    const downloadToken = new URL(download.data!.signedUrl).searchParams.get('token')!;
    const misuse = await anonymous.uploadToSignedUrl(path, downloadToken, 'x', { contentType: 'text/plain' });
    expect(misuse.error).toMatchObject({ statusCode: '400', message: 'Token is not scoped for upload' });
    expect((await user.client.storage.from('docs').createSignedUploadUrl('someone-else/x.txt')).error).toMatchObject({ statusCode: '403' });
  });
});

describe('refusals', () => {
  it('bad or missing JWTs, unknown buckets, invalid keys, unsupported features and unknown routes', async () => {
    const badJwt = await stack.client('not.a.jwt').storage.from('docs').list('');
    expect(badJwt.error).toMatchObject({ status: 400, statusCode: '403' });
    const noAuth = await fetch(`${stack.url}/storage/v1/bucket`);
    expect(noAuth.status).toBe(400);
    expect(await noAuth.json()).toMatchObject({ statusCode: '403', error: 'Unauthorized' });
    const noBucket = await service.storage.from('nope').upload('a.txt', 'x');
    expect(noBucket.error).toMatchObject({ statusCode: '404', message: 'Bucket not found' });
    const badKey = await service.storage.from('docs').upload('ünïcode.txt', 'x');
    expect(badKey.error).toMatchObject({ statusCode: '400', message: expect.stringContaining('Invalid key') });
    const transform = await user.client.storage.from('docs').createSignedUrl(`${user.user.id}/note.txt`, 60, { transform: { width: 10 } });
    expect(transform.error).toMatchObject({ status: 501, statusCode: '501' });
    const tus = await fetch(`${stack.url}/storage/v1/upload/resumable`, { method: 'POST', headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(tus.status).toBe(501);
    const unknown = await fetch(`${stack.url}/storage/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    const badJson = await fetch(`${stack.url}/storage/v1/object/list/docs`, {
      method: 'POST', headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' }, body: '{',
    });
    expect(badJson.status).toBe(400);
    const missingPrefix = await fetch(`${stack.url}/storage/v1/object/list/docs`, {
      method: 'POST', headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' }, body: '{}',
    });
    expect(await missingPrefix.json()).toMatchObject({ statusCode: '400', message: "body/prefix must have required property 'prefix'" });
  });

  it('direct SQL deletes from storage.objects are refused as on Supabase (use the Storage API)', async () => {
    await expect(stack.sql`delete from storage.objects where bucket_id = 'docs'`).rejects.toMatchObject({ code: '42501' });
  });
});

async function storedFiles(): Promise<string[]> {
  if (!stack.storageDir) throw new Error('this check needs the local stack (its storage folder)');
  const root = join(stack.storageDir, 'objects');
  const shards = await readdir(root).catch(() => [] as string[]);
  const files = await Promise.all(shards.map(async (shard) => (await readdir(join(root, shard))).map((file) => join(shard, file))));
  return files.flat();
}
