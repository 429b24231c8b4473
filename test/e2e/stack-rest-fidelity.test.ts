// /rest/v1 where a CRM relies on PostgREST's exact behaviour (issue 18), with real supabase-js clients.
// The test's own tables and functions are created in this file's cloned database, with explicit grants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restAs, startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

const UNSUPPORTED = { code: 'local_stack_unsupported' };

const rest = (path: string, init?: Parameters<typeof restAs>[3]) => restAs(stack, alice, path, init);

const external = Boolean(process.env.SUPABASE_URL);
let stack: TestStack;
let alice: SignedUpUser;

beforeAll(async () => {
  stack = await startTestStack();
  if (!external) {
    await stack.sql.unsafe(`
      create table public.fid_items (id int primary key, name text not null, note text, tags text[] default '{}', meta jsonb default '{}');
      create table public.fid_tags (id int primary key, label text not null);
      create table public.fid_item_tags (item_id int references public.fid_items, tag_id int references public.fid_tags, primary key (item_id, tag_id));
      create table public.fid_lonely (id int primary key);
      create view public.fid_items_view as select id, name from public.fid_items;
      create function public.fid_label(public.fid_items) returns text language sql stable as 'select $1.name || ''!''';
      grant select, insert, update, delete on public.fid_items, public.fid_tags, public.fid_item_tags, public.fid_lonely, public.fid_items_view to authenticated;
      grant execute on function public.fid_label(public.fid_items) to authenticated;
      insert into public.fid_items (id, name, note) values (1, 'one', 'first'), (2, 'two', null), (3, 'three', null), (4, 'four', null);
      insert into public.fid_tags values (10, 'red');
      insert into public.fid_item_tags values (1, 10);
      create function public.fid_numbers(p_from int, p_to int) returns setof int
        language sql stable as 'select generate_series(p_from, p_to)';
      create function public.fid_items_from(p_min int) returns setof public.fid_items
        language sql stable as 'select * from public.fid_items where id >= p_min order by id';
      grant execute on function public.fid_numbers(int, int), public.fid_items_from(int) to authenticated;
    `);
  }
  alice = await stack.signUp();
});
afterAll(() => stack?.stop());

describe.skipIf(external)('rpc', () => {
  it('GET on a set-returning function with arguments returns its rows; filters, order and limit apply to them', async () => {
    const scalars = await alice.client.rpc('fid_numbers', { p_from: 2, p_to: 4 }, { get: true });
    expect(scalars.error).toBeNull();
    expect(scalars.data).toEqual([2, 3, 4]);
    const rows = await alice.client.rpc('fid_items_from', { p_min: 2 }, { get: true }).select('id, name').gt('id', 2).order('id', { ascending: false }).limit(1);
    expect(rows.error).toBeNull();
    expect(rows.data).toEqual([{ id: 4, name: 'four' }]);
  });
});

describe.skipIf(external)('no silent divergence: what the stack does not serve is an explicit error', () => {
  it('Accept: CSV, GeoJSON and EXPLAIN output are 501 naming the feature; an unknown type is 406 PGRST107', async () => {
    const csv = await alice.client.from('fid_items').select('id').csv();
    expect(csv.status).toBe(501);
    expect(csv.error).toMatchObject({ ...UNSUPPORTED, message: expect.stringContaining('CSV output') });
    const geo = await alice.client.from('fid_items').select('id').geojson();
    expect(geo.status).toBe(501);
    const plan = await alice.client.from('fid_items').select('id').explain();
    expect(plan.status).toBe(501);
    expect((await rest('/fid_items', { headers: { accept: 'application/xml' } })).status).toBe(501);
    const png = await rest('/fid_items', { headers: { accept: 'image/png' } });
    expect(png).toMatchObject({ status: 406, body: { code: 'PGRST107' } });
    // A list picks the first type it can produce, by q.
    const picked = await rest('/fid_items?select=id&id=eq.1', { headers: { accept: 'text/csv;q=0.5, application/json' } });
    expect(picked).toMatchObject({ status: 200, body: [{ id: 1 }] });
  });

  it('stripNulls() (nulls=stripped) drops null fields, as PostgREST does', async () => {
    const rows = await alice.client.from('fid_items').select('id, note').in('id', [1, 2]).order('id').stripNulls();
    expect(rows.error).toBeNull();
    expect(rows.data).toEqual([{ id: 1, note: 'first' }, { id: 2 }]);
    const one = await alice.client.from('fid_items').select('id, note').eq('id', 2).single().stripNulls();
    expect(one.data).toEqual({ id: 2 });
  });

  it('Prefer: count=planned/estimated, tx=rollback and timezone are 501; handling=strict refuses unknown preferences (PGRST122); nothing is written', async () => {
    const planned = await alice.client.from('fid_items').select('id', { count: 'planned' });
    expect(planned.status).toBe(501);
    expect(planned.error).toMatchObject(UNSUPPORTED);
    expect((await alice.client.from('fid_items').select('id', { count: 'estimated', head: true })).status).toBe(501);
    const rollback = await rest('/fid_items', { method: 'POST', headers: { prefer: 'tx=rollback' }, body: JSON.stringify({ id: 90, name: 'rolled' }) });
    expect(rollback).toMatchObject({ status: 501, body: UNSUPPORTED });
    expect((await rest('/fid_items', { headers: { prefer: 'timezone=Europe/Madrid' } })).status).toBe(501);
    const strict = await rest('/fid_items', { method: 'POST', headers: { prefer: 'handling=strict, frobnicate=yes' }, body: JSON.stringify({ id: 91, name: 'strict' }) });
    expect(strict).toMatchObject({ status: 400, body: { code: 'PGRST122' } });
    const lenient = await rest('/fid_items', { method: 'POST', headers: { prefer: 'frobnicate=yes' }, body: JSON.stringify({ id: 92, name: 'lenient' }) });
    expect(lenient.status).toBe(201);
    const [row] = await stack.sql<{ ids: number[] | null }[]>`select array_agg(id order by id) as ids from fid_items where id >= 90`;
    expect(row?.ids).toEqual([92]);
    await stack.sql`delete from fid_items where id = 92`;
  });

  it('maxAffected: more rows than allowed is 400 PGRST124 and nothing is written; within the limit it applies', async () => {
    type Limited = { maxAffected(rows: number): PromiseLike<{ status: number; error: { code: string } | null }> };
    const tooMany = await (alice.client.from('fid_items').update({ note: 'bulk' }).gt('id', 1) as unknown as Limited).maxAffected(2);
    expect(tooMany.status).toBe(400);
    expect(tooMany.error?.code).toBe('PGRST124');
    const [bulk] = await stack.sql<{ n: number }[]>`select count(*)::int as n from fid_items where note = 'bulk'`;
    expect(bulk?.n).toBe(0);
    const fits = await (alice.client.from('fid_items').update({ note: 'pair' }).in('id', [3, 4]) as unknown as Limited).maxAffected(2);
    expect(fits.error).toBeNull();
    await stack.sql`update fid_items set note = null where id in (3, 4)`;
  });

  it('spread embedding, aggregates and ordering by an embedded column are 501 naming them; a relationship that does not exist stays 400 PGRST200', async () => {
    const cases: [string, string, RegExp][] = [
      ['fid_items', 'id, ...fid_item_tags(tag_id)', /Spread/],
      ['fid_items', 'count()', /Aggregate/],
      ['fid_items', 'note.max()', /Aggregate/],
    ];
    for (const [table, select, message] of cases) {
      const { status, error } = await alice.client.from(table).select(select);
      expect({ select, status }).toEqual({ select, status: 501 });
      expect(error?.code).toBe('local_stack_unsupported');
      expect(error?.message).toMatch(message);
    }
    const ordered = await rest('/fid_item_tags?select=item_id,fid_items(name)&order=fid_items(name).desc');
    expect(ordered).toMatchObject({ status: 501, body: UNSUPPORTED });
    const none = await alice.client.from('fid_items').select('id, fid_lonely(id)');
    expect(none.status).toBe(400);
    expect(none.error).toMatchObject({
      code: 'PGRST200',
      details: "Searched for a foreign key relationship between 'fid_items' and 'fid_lonely' in the schema 'public', but no matches were found.",
    });
  });

  it('order/limit on an update or delete and the Range header are 501, and nothing is written', async () => {
    const limited = await alice.client.from('fid_items').update({ note: 'limited' }).gt('id', 0).order('id').limit(1);
    expect(limited.status).toBe(501);
    const [row] = await stack.sql<{ n: number }[]>`select count(*)::int as n from fid_items where note = 'limited'`;
    expect(row?.n).toBe(0);
    expect((await rest('/fid_items', { headers: { range: '0-1' } })).status).toBe(501);
  });
});
