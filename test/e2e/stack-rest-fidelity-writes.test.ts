// /rest/v1 writes and filters where a CRM relies on PostgREST's exact answers (issue 18.2), with real
// supabase-js clients: upsert status and row, counts on writes (Content-Range), quantified and range
// operators, jsonb containment. Expectations follow PostgREST's docs and source (Response.hs, SqlFragment.hs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restAs, startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

const external = Boolean(process.env.SUPABASE_URL);
let stack: TestStack;
let alice: SignedUpUser;

const rest = (path: string, init?: Parameters<typeof restAs>[3]) => restAs(stack, alice, path, init);

beforeAll(async () => {
  stack = await startTestStack();
  if (!external) {
    await stack.sql.unsafe(`
      create table public.fw_contacts (phone text primary key, name text, score int default 0, meta jsonb default '{}', tags text[] default '{}');
      create table public.fw_slots (id int primary key, during int4range not null);
      grant select, insert, update, delete on public.fw_contacts, public.fw_slots to authenticated;
      insert into public.fw_slots values (1, '[1,5)'), (2, '[5,10)'), (3, '[10,20)');
    `);
  }
  alice = await stack.signUp();
});
afterAll(() => stack?.stop());

describe.skipIf(external)('upsert (onConflict)', () => {
  it('answers 201 with the row when it inserted and 200 with the updated row when it updated', async () => {
    const inserted = await alice.client.from('fw_contacts').upsert({ phone: '+34600000001', name: 'Ana' }, { onConflict: 'phone' }).select();
    expect(inserted.status).toBe(201);
    expect(inserted.data).toEqual([{ phone: '+34600000001', name: 'Ana', score: 0, meta: {}, tags: [] }]);
    const updated = await alice.client.from('fw_contacts').upsert({ phone: '+34600000001', name: 'Ana B', score: 3 }, { onConflict: 'phone' }).select('name, score');
    expect(updated.status).toBe(200);
    expect(updated.data).toEqual([{ name: 'Ana B', score: 3 }]);
    // Without a representation the status still tells which happened.
    const minimal = await alice.client.from('fw_contacts').upsert({ phone: '+34600000001', score: 4 }, { onConflict: 'phone' });
    expect(minimal.status).toBe(200);
  });

  it('a body with only the conflict column returns the existing row (200), and a mixed bulk upsert is 201', async () => {
    const onlyKey = await alice.client.from('fw_contacts').upsert({ phone: '+34600000001' }, { onConflict: 'phone' }).select().single();
    expect(onlyKey.status).toBe(200);
    expect(onlyKey.data).toMatchObject({ phone: '+34600000001', name: 'Ana B', score: 4 });
    const bulk = await alice.client.from('fw_contacts')
      .upsert([{ phone: '+34600000001', name: 'Ana C' }, { phone: '+34600000002', name: 'Bea' }], { onConflict: 'phone' })
      .select('phone, name').order('phone');
    expect(bulk.status).toBe(201);
    expect(bulk.data).toEqual([{ phone: '+34600000001', name: 'Ana C' }, { phone: '+34600000002', name: 'Bea' }]);
  });

  it('ignoreDuplicates keeps the stored row and returns only what it inserted (201)', async () => {
    const ignored = await alice.client.from('fw_contacts')
      .upsert([{ phone: '+34600000002', name: 'not Bea' }, { phone: '+34600000003', name: 'Cai' }], { onConflict: 'phone', ignoreDuplicates: true })
      .select('phone, name');
    expect(ignored.status).toBe(201);
    expect(ignored.data).toEqual([{ phone: '+34600000003', name: 'Cai' }]);
    const [row] = await stack.sql<{ name: string }[]>`select name from fw_contacts where phone = '+34600000002'`;
    expect(row?.name).toBe('Bea');
  });
});

describe.skipIf(external)("count: 'exact' on writes and Content-Range as PostgREST sends it", () => {
  it('insert: */N and supabase-js reads the number', async () => {
    const rows = [{ phone: '+34600000010' }, { phone: '+34600000011' }];
    const inserted = await alice.client.from('fw_contacts').insert(rows, { count: 'exact' });
    expect(inserted.error).toBeNull();
    expect(inserted.count).toBe(2);
    const raw = await rest('/fw_contacts', { method: 'POST', headers: { prefer: 'count=exact' }, body: JSON.stringify({ phone: '+34600000012' }) });
    expect(raw).toMatchObject({ status: 201, range: '*/1' });
    const uncounted = await rest('/fw_contacts', { method: 'POST', body: JSON.stringify({ phone: '+34600000013' }) });
    expect(uncounted.range).toBe('*/*');
  });

  it('upsert and update: update is 0-(N-1)/N, zero rows */0', async () => {
    const upserted = await alice.client.from('fw_contacts').upsert({ phone: '+34600000010', name: 'Ten' }, { onConflict: 'phone', count: 'exact' }).select();
    expect(upserted.count).toBe(1);
    const updated = await alice.client.from('fw_contacts').update({ score: 7 }, { count: 'exact' }).in('phone', ['+34600000010', '+34600000011']);
    expect(updated.error).toBeNull();
    expect(updated.count).toBe(2);
    const one = await rest('/fw_contacts?phone=eq.%2B34600000010', { method: 'PATCH', headers: { prefer: 'count=exact, return=representation' }, body: JSON.stringify({ score: 8 }) });
    expect(one).toMatchObject({ status: 200, range: '0-0/1' });
    const none = await rest('/fw_contacts?phone=eq.nobody', { method: 'PATCH', headers: { prefer: 'count=exact' }, body: JSON.stringify({ score: 8 }) });
    expect(none).toMatchObject({ status: 204, range: '*/0' });
    const zero = await alice.client.from('fw_contacts').update({ score: 1 }, { count: 'exact' }).eq('phone', 'nobody');
    expect(zero.count).toBe(0);
  });

  it('delete: */N', async () => {
    const deleted = await alice.client.from('fw_contacts').delete({ count: 'exact' }).in('phone', ['+34600000012', '+34600000013']);
    expect(deleted.error).toBeNull();
    expect(deleted.count).toBe(2);
    const raw = await rest('/fw_contacts?phone=eq.%2B34600000011', { method: 'DELETE', headers: { prefer: 'count=exact, return=representation' } });
    expect(raw).toMatchObject({ status: 200, range: '*/1' });
  });
});

describe.skipIf(external)('filters', () => {
  it('like/ilike with (any) and (all): likeAnyOf, likeAllOf, ilikeAnyOf, ilikeAllOf', async () => {
    await alice.client.from('fw_contacts').insert([
      { phone: '+34611000001', name: 'Maria Lopez' }, { phone: '+34611000002', name: 'mario rossi' }, { phone: '+34611000003', name: 'Pedro Lopez' },
    ]);
    const names = async (query: PromiseLike<{ data: { name: string }[] | null; error: unknown }>) => {
      const { data, error } = await query;
      expect(error).toBeNull();
      return (data ?? []).map((r) => r.name).sort();
    };
    const base = () => alice.client.from('fw_contacts').select('name').like('phone', '+34611*');
    expect(await names(base().likeAnyOf('name', ['Maria*', 'Pedro*']))).toEqual(['Maria Lopez', 'Pedro Lopez']);
    expect(await names(base().likeAllOf('name', ['*ar*', '*Lopez']))).toEqual(['Maria Lopez']);
    expect(await names(base().ilikeAnyOf('name', ['mari*']))).toEqual(['Maria Lopez', 'mario rossi']);
    expect(await names(base().ilikeAllOf('name', ['mari*', '*LOPEZ']))).toEqual(['Maria Lopez']);
    expect(await names(base().not('name', 'like(any)', '{Maria*,Pedro*}'))).toEqual(['mario rossi']);
    const eqAny = await rest('/fw_contacts?select=name&phone=eq(any).{%2B34611000001,%2B34611000003}&order=name');
    expect(eqAny.body).toEqual([{ name: 'Maria Lopez' }, { name: 'Pedro Lopez' }]);
    const bad = await rest('/fw_contacts?name=cs(any).{a}');
    expect(bad).toMatchObject({ status: 400, body: { code: 'PGRST100' } });
  });

  it('contains/containedBy on jsonb and arrays', async () => {
    await alice.client.from('fw_contacts').insert([
      { phone: '+34622000001', meta: { crm: { stage: 'lead' }, vip: true }, tags: ['a', 'b'] },
      { phone: '+34622000002', meta: { crm: { stage: 'won' } }, tags: ['b'] },
    ]);
    const phones = (rows: { phone: string }[] | null) => (rows ?? []).map((r) => r.phone).sort();
    const lead = await alice.client.from('fw_contacts').select('phone').contains('meta', { crm: { stage: 'lead' } });
    expect(lead.error).toBeNull();
    expect(phones(lead.data)).toEqual(['+34622000001']);
    const within = await alice.client.from('fw_contacts').select('phone').like('phone', '+34622*').containedBy('meta', { crm: { stage: 'won' }, vip: false });
    expect(phones(within.data)).toEqual(['+34622000002']);
    const tagged = await alice.client.from('fw_contacts').select('phone').contains('tags', ['a']);
    expect(phones(tagged.data)).toEqual(['+34622000001']);
    const subset = await alice.client.from('fw_contacts').select('phone').like('phone', '+34622*').containedBy('tags', ['b', 'c']);
    expect(phones(subset.data)).toEqual(['+34622000002']);
  });

  it('range operators: sl, sr, nxl (&>), nxr (&<), adj, ov', async () => {
    const ids = async (query: PromiseLike<{ data: { id: number }[] | null; error: unknown }>) => {
      const { data, error } = await query;
      expect(error).toBeNull();
      return (data ?? []).map((r) => r.id).sort((a, b) => a - b);
    };
    const q = () => alice.client.from('fw_slots').select('id');
    expect(await ids(q().rangeLt('during', '[5,6)'))).toEqual([1]);
    expect(await ids(q().rangeGt('during', '[5,6)'))).toEqual([3]);
    // nxl: does not extend to the left of [5,6) (lower bound >= 5); nxr: does not extend to the right (upper <= 6).
    expect(await ids(q().rangeGte('during', '[5,6)'))).toEqual([2, 3]);
    expect(await ids(q().rangeLte('during', '[5,6)'))).toEqual([1]);
    expect(await ids(q().rangeAdjacent('during', '[20,30)'))).toEqual([3]);
    expect(await ids(q().overlaps('during', '[4,6)'))).toEqual([1, 2]);
  });
});
