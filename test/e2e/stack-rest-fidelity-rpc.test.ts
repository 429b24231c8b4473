// /rest/v1/rpc where a CRM relies on PostgREST's exact answers (issue 18.2), with real supabase-js clients:
// counts (Content-Range), filters and select on a function returning one row, overload resolution
// (PGRST203 when ambiguous), embedding on rpc results. Expectations follow PostgREST's RpcSpec and Plan.hs.
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
      create table public.fr_leads (id int primary key, name text not null, stage text not null);
      create table public.fr_notes (id int primary key, lead_id int not null references public.fr_leads, body text not null);
      grant select on public.fr_leads, public.fr_notes to authenticated;
      insert into public.fr_leads values (1, 'Ana', 'lead'), (2, 'Bea', 'won'), (3, 'Cai', 'lead'), (4, 'Dan', 'lost');
      insert into public.fr_notes values (10, 1, 'called'), (11, 1, 'mailed'), (12, 3, 'met');
      create function public.fr_all_leads() returns setof public.fr_leads language sql stable as 'select * from public.fr_leads order by id';
      create function public.fr_lead(p_id int) returns public.fr_leads language sql stable as 'select * from public.fr_leads where id = p_id';
      create function public.fr_add(a int, b int) returns int language sql immutable as 'select a + b';
      create function public.fr_pick() returns setof int language sql immutable as 'select 1 union all select 2 union all select 3';
      create function public.fr_pick(a int, b int) returns int language sql immutable as 'select a + b';
      create function public.fr_pick(a text, b text, c text) returns text language sql immutable as 'select a || b || c';
      create function public.fr_same(arg int) returns int language sql immutable as 'select arg';
      create function public.fr_same(arg text) returns text language sql immutable as 'select arg';
      create function public.fr_opt(must int, extra int default 10) returns int language sql immutable as 'select must + extra';
      grant execute on all functions in schema public to authenticated;
    `);
  }
  alice = await stack.signUp();
});
afterAll(() => stack?.stop());

describe.skipIf(external)("count: 'exact' on rpc", () => {
  it('a set-returning function: 0-(n-1)/N, 206 when limited; supabase-js reads the number', async () => {
    const all = await alice.client.rpc('fr_all_leads', {}, { count: 'exact' });
    expect(all.error).toBeNull();
    expect(all.count).toBe(4);
    const page = await alice.client.rpc('fr_all_leads', {}, { count: 'exact' }).eq('stage', 'lead').limit(1);
    expect(page.status).toBe(206);
    expect(page.count).toBe(2);
    expect(page.data).toEqual([{ id: 1, name: 'Ana', stage: 'lead' }]);
    const head = await alice.client.rpc('fr_all_leads', {}, { count: 'exact', head: true });
    expect(head.count).toBe(4);
    expect((await rest('/rpc/fr_all_leads?offset=1', { method: 'POST', headers: { prefer: 'count=exact' }, body: '{}' })).range).toBe('1-3/4');
  });

  it('a function returning one value or one row counts as one: 0-0/1', async () => {
    const sum = await alice.client.rpc('fr_add', { a: 3, b: 4 }, { count: 'exact' });
    expect(sum).toMatchObject({ data: 7, count: 1, error: null });
    expect(await rest('/rpc/fr_add?a=3&b=4', { headers: { prefer: 'count=exact' } })).toMatchObject({ status: 200, range: '0-0/1', body: 7 });
    expect((await rest('/rpc/fr_add?a=3&b=4')).range).toBe('0-0/*');
  });
});

describe.skipIf(external)('rpc results', () => {
  it('filters and select apply to a function that returns one row; filtered out it is null', async () => {
    const row = await alice.client.rpc('fr_lead', { p_id: 1 }).select('name');
    expect(row).toMatchObject({ status: 200, data: { name: 'Ana' }, error: null });
    const kept = await alice.client.rpc('fr_lead', { p_id: 1 }).eq('stage', 'lead').select('id, stage');
    expect(kept.data).toEqual({ id: 1, stage: 'lead' });
    const dropped = await alice.client.rpc('fr_lead', { p_id: 2 }).eq('stage', 'lead');
    expect(dropped).toMatchObject({ status: 200, data: null, error: null });
    const viaGet = await rest('/rpc/fr_lead?p_id=3&stage=eq.lead&select=name');
    expect(viaGet.body).toEqual({ name: 'Cai' });
    const unknown = await alice.client.rpc('fr_add', { a: 1, b: 2 }).eq('nope', 1);
    expect(unknown.status).toBe(400);
    expect(unknown.error?.code).toBe('42703');
  });

  it('embeds through foreign keys of the returned table, with embedded filters', async () => {
    const leads = await alice.client.rpc('fr_all_leads').select('id, fr_notes(body)').in('id', [1, 2]).order('id');
    expect(leads.error).toBeNull();
    expect(leads.data).toEqual([{ id: 1, fr_notes: [{ body: 'called' }, { body: 'mailed' }] }, { id: 2, fr_notes: [] }]);
    const inner = await alice.client.rpc('fr_all_leads').select('id, fr_notes!inner(body)').eq('fr_notes.body', 'met');
    expect(inner.data).toEqual([{ id: 3, fr_notes: [{ body: 'met' }] }]);
  });
});

describe.skipIf(external)('overloaded functions resolve as PostgREST resolves them', () => {
  it('by the argument names: none, (a, b), (a, b, c); optional arguments may be left out', async () => {
    expect((await alice.client.rpc('fr_pick')).data).toEqual([1, 2, 3]);
    expect((await alice.client.rpc('fr_pick', { a: 1, b: 2 })).data).toBe(3);
    expect((await alice.client.rpc('fr_pick', { a: '1', b: '2', c: '3' })).data).toBe('123');
    expect((await alice.client.rpc('fr_pick', { a: 1, b: 2 }, { get: true })).data).toBe(3);
    expect((await alice.client.rpc('fr_opt', { must: 1 })).data).toBe(11);
    expect((await alice.client.rpc('fr_opt', { must: 1, extra: 1 })).data).toBe(2);
  });

  it('the same argument names with different types is 300 PGRST203; unknown names are 404 PGRST202', async () => {
    const same = await alice.client.rpc('fr_same', { arg: 1 });
    expect(same.status).toBe(300);
    expect(same.error).toMatchObject({
      code: 'PGRST203',
      message: 'Could not choose the best candidate function between: public.fr_same(arg => integer), public.fr_same(arg => text)',
      hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    });
    const wrong = await alice.client.rpc('fr_pick', { a: 1, z: 2 });
    expect(wrong.status).toBe(404);
    expect(wrong.error?.code).toBe('PGRST202');
    const missing = await alice.client.rpc('fr_opt', { extra: 1 });
    expect(missing.error?.code).toBe('PGRST202');
  });
});
