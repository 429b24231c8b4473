// RLS on storage.objects decides /storage/v1 as on Supabase: with Supabase's folder-per-user policies
// (`(storage.foldername(name))[1] = auth.uid()::text`) on a private bucket, user B can neither list,
// download, sign, overwrite, move, copy nor delete user A's objects, through supabase-js or in SQL,
// while A can do all of it. Refusals have Storage's shape: what RLS hides is "not found", a write RLS
// refuses is 403 "new row violates row-level security policy", a delete of hidden rows removes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser } from '../support/postgres.ts';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let alice: SignedUpUser;
let bob: SignedUpUser;
let alicePath: string;

const BUCKET = 'private-media';

beforeAll(async () => {
  stack = await startTestStack();
  [alice, bob] = await Promise.all([stack.signUp(), stack.signUp()]);
  const { error } = await stack.serviceClient().storage.createBucket(BUCKET, { public: false });
  if (error) throw error;
  // The policies Supabase's Storage guide gives for "a folder per user", one per operation.
  const own = `bucket_id = '${BUCKET}' and (storage.foldername(name))[1] = (select auth.uid()::text)`;
  await stack.sql.unsafe(`
    create policy "read own folder" on storage.objects for select to authenticated using (${own});
    create policy "upload to own folder" on storage.objects for insert to authenticated with check (${own});
    create policy "update own folder" on storage.objects for update to authenticated using (${own}) with check (${own});
    create policy "delete in own folder" on storage.objects for delete to authenticated using (${own});`);
  alicePath = `${alice.user.id}/session-1/msg-1.jpg`;
  const upload = await alice.client.storage.from(BUCKET).upload(alicePath, Buffer.from('alice photo'), { contentType: 'image/jpeg' });
  if (upload.error) throw upload.error;
});
afterAll(() => stack?.stop());

const aliceBytes = async () => {
  const { data, error } = await alice.client.storage.from(BUCKET).download(alicePath);
  if (error) throw error;
  return Buffer.from(await data.arrayBuffer()).toString();
};

describe('storage RLS through supabase-js: another user', () => {
  it('cannot list A’s folder (sees nothing) and cannot read, inspect or sign A’s object (not found)', async () => {
    const bobs = bob.client.storage.from(BUCKET);
    expect(await bobs.list(`${alice.user.id}/session-1`)).toEqual({ data: [], error: null });
    expect(await bobs.list('')).toEqual({ data: [], error: null });
    expect((await bobs.download(alicePath)).error).toMatchObject({ status: 400, statusCode: '404', message: 'Object not found' });
    expect((await bobs.info(alicePath)).error).toMatchObject({ statusCode: '404' });
    expect((await bobs.exists(alicePath)).data).toBe(false);
    expect((await bobs.createSignedUrl(alicePath, 60)).error).toMatchObject({ statusCode: '404' });
    const many = await bobs.createSignedUrls([alicePath], 60);
    expect(many.data).toEqual([{ path: alicePath, signedURL: null, signedUrl: null, error: 'Either the object does not exist or you do not have access to it' }]);
    // The anon key is a valid JWT (role anon, no policy): not found. No JWT at all: a private bucket is not even found.
    expect((await stack.client().storage.from(BUCKET).download(alicePath)).error).toMatchObject({ statusCode: '404', message: 'Object not found' });
    const bare = await fetch(`${stack.url}/storage/v1/object/${BUCKET}/${alicePath}`);
    expect({ status: bare.status, body: await bare.json() }).toMatchObject({ status: 400, body: { statusCode: '404', error: 'Bucket not found' } });
  });

  it('cannot overwrite A’s object (upload, upsert, update, signed upload URL): 403 and A’s bytes unchanged', async () => {
    const bobs = bob.client.storage.from(BUCKET);
    const rls = { status: 400, statusCode: '403', message: 'new row violates row-level security policy' };
    expect((await bobs.upload(alicePath, 'bob', { contentType: 'image/jpeg', upsert: true })).error).toMatchObject(rls);
    expect((await bobs.update(alicePath, 'bob', { contentType: 'image/jpeg' })).error).toMatchObject(rls);
    expect((await bobs.upload(`${alice.user.id}/session-1/new.jpg`, 'bob', { contentType: 'image/jpeg' })).error).toMatchObject(rls);
    expect((await bobs.createSignedUploadUrl(`${alice.user.id}/session-1/new.jpg`)).error).toMatchObject(rls);
    expect((await bobs.createSignedUploadUrl(alicePath, { upsert: true })).error).toMatchObject(rls);
    expect(await aliceBytes()).toBe('alice photo');
    expect(await stack.sql`select name from storage.objects where bucket_id = ${BUCKET} order by name`).toEqual([{ name: alicePath }]);
  });

  it('cannot move or copy A’s object away, nor move or copy its own object into A’s folder', async () => {
    const bobs = bob.client.storage.from(BUCKET);
    expect((await bobs.move(alicePath, `${bob.user.id}/stolen.jpg`)).error).toMatchObject({ statusCode: '404' });
    expect((await bobs.copy(alicePath, `${bob.user.id}/stolen.jpg`)).error).toMatchObject({ statusCode: '404' });
    const own = `${bob.user.id}/mine.jpg`;
    expect((await bobs.upload(own, 'bob photo', { contentType: 'image/jpeg' })).error).toBeNull();
    expect((await bobs.move(own, `${alice.user.id}/planted.jpg`)).error).toMatchObject({ statusCode: '403' });
    expect((await bobs.copy(own, `${alice.user.id}/planted.jpg`)).error).toMatchObject({ statusCode: '403' });
    expect((await bobs.move(own, alicePath)).error).toMatchObject({ statusCode: '403' });
    expect(await aliceBytes()).toBe('alice photo');
    expect((await alice.client.storage.from(BUCKET).list(alice.user.id)).data!.map((e) => e.name)).toEqual(['session-1']);
  });

  it('cannot delete A’s object: remove() removes nothing and the object stays', async () => {
    const removed = await bob.client.storage.from(BUCKET).remove([alicePath]);
    expect(removed).toEqual({ data: [], error: null });
    expect(await aliceBytes()).toBe('alice photo');
  });

  it('the owner does all of it in their own folder', async () => {
    const mine = alice.client.storage.from(BUCKET);
    const folder = `${alice.user.id}/session-1`;
    expect((await mine.list(folder)).data!.map((e) => e.name)).toEqual(['msg-1.jpg']);
    expect((await mine.upload(alicePath, Buffer.from('alice photo v2'), { contentType: 'image/jpeg', upsert: true })).error).toBeNull();
    expect((await mine.copy(alicePath, `${folder}/copy.jpg`)).error).toBeNull();
    expect((await mine.move(`${folder}/copy.jpg`, `${folder}/moved.jpg`)).error).toBeNull();
    const signed = await mine.createSignedUrl(`${folder}/moved.jpg`, 60);
    expect(await (await fetch(signed.data!.signedUrl)).text()).toBe('alice photo v2');
    const removed = await mine.remove([`${folder}/moved.jpg`]);
    expect(removed.data!.map((row) => row.name)).toEqual([`${folder}/moved.jpg`]);
    expect(await aliceBytes()).toBe('alice photo v2');
  });
});

describe('storage RLS in SQL (as PostgREST and Storage run queries)', () => {
  it('user B sees none of A’s rows and changes none; A sees its own', async () => {
    const seen = await asUser(stack.sql, bob.user.id, (tx) => tx`select name from storage.objects where bucket_id = ${BUCKET}`);
    expect(seen.map((row) => row.name)).toEqual([`${bob.user.id}/mine.jpg`]);
    const updated = await asUser(stack.sql, bob.user.id, (tx) => tx`
      update storage.objects set name = ${`${bob.user.id}/taken.jpg`} where name = ${alicePath} returning id`);
    expect(updated).toEqual([]);
    const deleted = await asUser(stack.sql, bob.user.id, async (tx) => {
      await tx`select set_config('storage.allow_delete_query', 'true', true)`;
      return tx`delete from storage.objects where name = ${alicePath} returning id`;
    });
    expect(deleted).toEqual([]);
    await expect(asUser(stack.sql, bob.user.id, (tx) => tx`
      insert into storage.objects (bucket_id, name) values (${BUCKET}, ${`${alice.user.id}/sql.jpg`})`))
      .rejects.toMatchObject({ code: '42501' });
    const aliceSees = await asUser(stack.sql, alice.user.id, (tx) => tx`select name from storage.objects where bucket_id = ${BUCKET}`);
    expect(aliceSees.map((row) => row.name)).toEqual([alicePath]);
    expect(await asUser(stack.sql, null, (tx) => tx`select name from storage.objects`)).toEqual([]);
  });
});
