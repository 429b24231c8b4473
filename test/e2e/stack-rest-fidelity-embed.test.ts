// /rest/v1 resource embedding resolved as PostgREST resolves it (issue 18.2), with real supabase-js clients:
// one-to-one, empty embeds, many-to-many, self-references, by column and constraint name, through views,
// computed fields and relationships, embedded order/limit and nested filters, PGRST201's candidates.
// Expectations follow PostgREST's docs ("Resource Embedding") and its Plan.hs findRel / Error.hs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

const external = Boolean(process.env.SUPABASE_URL);
let stack: TestStack;
let alice: SignedUpUser;

async function select(table: string, query: string) {
  const { data, error, status } = await alice.client.from(table).select(query);
  expect({ query, error }).toEqual({ query, error: null });
  expect(status).toBe(200);
  return data as unknown;
}

beforeAll(async () => {
  stack = await startTestStack();
  if (!external) {
    await stack.sql.unsafe(`
      create table public.fe_companies (id int primary key, name text not null);
      create table public.fe_people (id int primary key, name text not null, company_id int references public.fe_companies, manager_id int references public.fe_people);
      create table public.fe_profiles (person_id int primary key references public.fe_people, bio text);
      create table public.fe_badges (id int primary key, person_id int unique references public.fe_people, code text);
      create table public.fe_tags (id int primary key, label text not null);
      create table public.fe_people_tags (person_id int references public.fe_people, tag_id int references public.fe_tags, primary key (person_id, tag_id));
      create table public.fe_deals (id int primary key, buyer_id int references public.fe_people, seller_id int constraint fe_deals_seller_fk references public.fe_people);
      create view public.fe_people_view as select id, name as full_name, company_id from public.fe_people;
      create function public.fe_initials(public.fe_people) returns text language sql stable as 'select left($1.name, 1)';
      create function public.fe_colleagues(public.fe_people) returns setof public.fe_people language sql stable
        as 'select * from public.fe_people where company_id = $1.company_id and id <> $1.id';
      create function public.fe_company_of(public.fe_people) returns public.fe_companies language sql stable
        as 'select * from public.fe_companies where id = $1.company_id';
      grant select on public.fe_companies, public.fe_people, public.fe_profiles, public.fe_badges, public.fe_tags,
        public.fe_people_tags, public.fe_deals, public.fe_people_view to authenticated;
      grant execute on function public.fe_initials(public.fe_people), public.fe_colleagues(public.fe_people),
        public.fe_company_of(public.fe_people) to authenticated;
      insert into public.fe_companies values (1, 'Acme'), (2, 'Globex');
      insert into public.fe_people values (1, 'Ana', 1, null), (2, 'Bea', 1, 1), (3, 'Cai', 2, 1);
      insert into public.fe_profiles values (1, 'boss');
      insert into public.fe_badges values (10, 2, 'B-2');
      insert into public.fe_tags values (1, 'vip'), (2, 'lead');
      insert into public.fe_people_tags values (1, 1), (1, 2), (2, 2);
      insert into public.fe_deals values (100, 2, 1);
    `);
  }
  alice = await stack.signUp();
});
afterAll(() => stack?.stop());

describe.skipIf(external)('embedding', () => {
  it('one-to-one (the foreign key is also the primary or a unique key) is an object, from both sides', async () => {
    expect(await select('fe_people', 'name, fe_profiles(bio), fe_badges(code)')).toEqual(expect.arrayContaining([
      { name: 'Ana', fe_profiles: { bio: 'boss' }, fe_badges: null },
      { name: 'Bea', fe_profiles: null, fe_badges: { code: 'B-2' } },
    ]));
    expect(await select('fe_badges', 'code, fe_people(name)')).toEqual([{ code: 'B-2', fe_people: { name: 'Bea' } }]);
    expect(await select('fe_profiles', 'bio, fe_people(name)')).toEqual([{ bio: 'boss', fe_people: { name: 'Ana' } }]);
  });

  it('an empty embed rel() is left out of the result and still filters with !inner', async () => {
    const { data, error } = await alice.client.from('fe_people').select('name, fe_companies!inner()').eq('fe_companies.name', 'Acme').order('id');
    expect(error).toBeNull();
    expect(data).toEqual([{ name: 'Ana' }, { name: 'Bea' }]);
  });

  it('many-to-many through a join table, both ways, with embedded order and limit', async () => {
    const { data, error } = await alice.client.from('fe_people').select('name, fe_tags(label)').order('id').order('label', { referencedTable: 'fe_tags' });
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Ana', fe_tags: [{ label: 'lead' }, { label: 'vip' }] },
      { name: 'Bea', fe_tags: [{ label: 'lead' }] },
      { name: 'Cai', fe_tags: [] },
    ]);
    const limited = await alice.client.from('fe_tags').select('label, fe_people(name)').eq('id', 2)
      .order('name', { referencedTable: 'fe_people', ascending: false }).limit(1, { referencedTable: 'fe_people' });
    expect(limited.data).toEqual([{ label: 'lead', fe_people: [{ name: 'Bea' }] }]);
  });

  it('self-references: the table name is the one-to-many, the column name the many-to-one, a hint picks the column', async () => {
    const rows = await select('fe_people', 'name, reports:fe_people(name), manager:manager_id(name), by_hint:fe_people!manager_id(name)');
    expect(rows).toEqual(expect.arrayContaining([
      { name: 'Ana', reports: [{ name: 'Bea' }, { name: 'Cai' }], manager: null, by_hint: [{ name: 'Bea' }, { name: 'Cai' }] },
      { name: 'Bea', reports: [], manager: { name: 'Ana' }, by_hint: [] },
    ]));
  });

  it('by foreign-key column name, by constraint name, and table!column / table!constraint hints', async () => {
    const row = (await select('fe_people', 'name, c1:company_id(name), c2:fe_people_company_id_fkey(name), c3:fe_companies!company_id(name), c4:fe_companies!fe_people_company_id_fkey(name)')) as unknown[];
    expect(row).toContainEqual({ name: 'Cai', c1: { name: 'Globex' }, c2: { name: 'Globex' }, c3: { name: 'Globex' }, c4: { name: 'Globex' } });
  });

  it('through views: view to table, table to view, and a view on the referenced side', async () => {
    expect(await select('fe_people_view', 'full_name, fe_companies(name)')).toContainEqual({ full_name: 'Cai', fe_companies: { name: 'Globex' } });
    const { data } = await alice.client.from('fe_companies').select('name, fe_people_view(full_name)').eq('id', 1).order('full_name', { referencedTable: 'fe_people_view' });
    expect(data).toEqual([{ name: 'Acme', fe_people_view: [{ full_name: 'Ana' }, { full_name: 'Bea' }] }]);
    expect(await select('fe_profiles', 'bio, fe_people_view(full_name)')).toEqual([{ bio: 'boss', fe_people_view: { full_name: 'Ana' } }]);
  });

  it('computed fields (select, filter, order) and computed relationships (setof: array, single row: object)', async () => {
    const { data, error } = await alice.client.from('fe_people').select('name, fe_initials').eq('fe_initials', 'B');
    expect(error).toBeNull();
    expect(data).toEqual([{ name: 'Bea', fe_initials: 'B' }]);
    const related = await alice.client.from('fe_people').select('name, fe_colleagues(name), fe_company_of(name)').eq('id', 1);
    expect(related.data).toEqual([{ name: 'Ana', fe_colleagues: [{ name: 'Bea' }], fe_company_of: { name: 'Acme' } }]);
  });

  it('filters on nested embeds apply at their level; !inner on both levels filters the parents', async () => {
    const { data, error } = await alice.client.from('fe_companies').select('name, fe_people!inner(name, fe_tags!inner(label))').eq('fe_people.fe_tags.label', 'vip');
    expect(error).toBeNull();
    expect(data).toEqual([{ name: 'Acme', fe_people: [{ name: 'Ana', fe_tags: [{ label: 'vip' }] }] }]);
  });

  it('two foreign keys to the same table: 300 PGRST201 with the candidates as PostgREST lists them; a hint resolves it', async () => {
    const ambiguous = await alice.client.from('fe_deals').select('id, fe_people(name)');
    expect(ambiguous.status).toBe(300);
    expect(ambiguous.error).toMatchObject({
      code: 'PGRST201',
      message: "Could not embed because more than one relationship was found for 'fe_deals' and 'fe_people'",
      hint: "Try changing 'fe_people' to one of the following: 'fe_people!fe_deals_buyer_id_fkey', 'fe_people!fe_deals_seller_fk'. Find the desired relationship in the 'details' key.",
    });
    expect(ambiguous.error?.details).toEqual([
      { cardinality: 'many-to-one', embedding: 'fe_deals with fe_people', relationship: 'fe_deals_buyer_id_fkey using fe_deals(buyer_id) and fe_people(id)' },
      { cardinality: 'many-to-one', embedding: 'fe_deals with fe_people', relationship: 'fe_deals_seller_fk using fe_deals(seller_id) and fe_people(id)' },
    ]);
    expect(await select('fe_deals', 'id, buyer:fe_people!buyer_id(name), seller:fe_people!fe_deals_seller_fk(name)'))
      .toEqual([{ id: 100, buyer: { name: 'Bea' }, seller: { name: 'Ana' } }]);
  });
});
