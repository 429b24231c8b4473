// /rest/v1 where a CRM relies on PostgREST's exact behaviour (issue 18), with real supabase-js clients.
// The test's own tables and functions are created in this file's cloned database, with explicit grants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

const external = Boolean(process.env.SUPABASE_URL);
let stack: TestStack;
let alice: SignedUpUser;

beforeAll(async () => {
  stack = await startTestStack();
  if (!external) {
    await stack.sql.unsafe(`
      create table public.fid_items (id int primary key, name text not null, tags text[] default '{}', meta jsonb default '{}');
      grant select, insert, update, delete on public.fid_items to authenticated;
      insert into public.fid_items (id, name) values (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four');
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
