// /rest/v1 values as PostgREST returns and compares them (issue 18): PostgREST builds its JSON in
// Postgres (json_agg), so a timestamptz keeps its microseconds in Postgres's text form, bigint and
// numeric keep every digit, and a filter value is compared by Postgres in the column's own type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

const external = Boolean(process.env.SUPABASE_URL);
let stack: TestStack;
let alice: SignedUpUser;

beforeAll(async () => {
  stack = await startTestStack();
  if (!external) {
    await stack.sql.unsafe(`
      create table public.ft_events (id int primary key, at timestamptz not null, local_at timestamp, day date, clock time,
        amount numeric, big bigint, meta jsonb, during tstzrange);
      grant select, insert, update, delete on public.ft_events to authenticated;
      insert into public.ft_events values
        (1, '2026-12-07 10:00:00.123456+00', '2026-12-07 10:00:00.123456', '2026-12-07', '10:00:00.123456',
         12345678901234567890.123456789, 9007199254740993, '{"n": 12345678901234567890}',
         '[2026-12-07 10:00:00.000001+00,2026-12-07 11:00:00+00)'),
        (2, '2026-12-07 10:00:00.123457+00', null, null, null, 1, 1, null, null),
        (3, '2026-12-07 10:00:00.123+00', null, null, null, 1, 1, null, null);
      create function public.ft_latest() returns timestamptz language sql stable as 'select max(at) from public.ft_events';
      create function public.ft_after(p_at timestamptz) returns setof public.ft_events language sql stable
        as 'select * from public.ft_events where at > p_at order by id';
      grant execute on function public.ft_latest(), public.ft_after(timestamptz) to authenticated;
    `);
  }
  alice = await stack.signUp();
});
afterAll(() => stack?.stop());

describe.skipIf(external)('values keep their precision', () => {
  it('rows come back in Postgres text form: timestamptz with microseconds and UTC offset, bigint and numeric digits intact', async () => {
    const { data, error } = await alice.client.from('ft_events').select('*').eq('id', 1).single();
    expect(error).toBeNull();
    expect(data).toEqual({
      id: 1,
      at: '2026-12-07T10:00:00.123456+00:00',
      local_at: '2026-12-07T10:00:00.123456',
      day: '2026-12-07',
      clock: '10:00:00.123456',
      amount: 12345678901234567890.123456789,
      big: 9007199254740993,
      meta: { n: 12345678901234567890 },
      during: '["2026-12-07 10:00:00.000001+00","2026-12-07 11:00:00+00")',
    });
  });

  it('eq/gt/lte on a timestamptz compare microseconds, in any offset the value is written in', async () => {
    const eq = await alice.client.from('ft_events').select('id').eq('at', '2026-12-07T10:00:00.123456+00:00');
    expect(eq.data).toEqual([{ id: 1 }]);
    const offset = await alice.client.from('ft_events').select('id').eq('at', '2026-12-07T11:00:00.123457+01:00');
    expect(offset.data).toEqual([{ id: 2 }]);
    const gt = await alice.client.from('ft_events').select('id').gt('at', '2026-12-07T10:00:00.123456Z').order('id');
    expect(gt.data).toEqual([{ id: 2 }]);
    const lte = await alice.client.from('ft_events').select('id').lte('at', '2026-12-07 10:00:00.123456').order('id');
    expect(lte.data).toEqual([{ id: 1 }, { id: 3 }]);
    const inList = await alice.client.from('ft_events').select('id').in('at', ['2026-12-07T10:00:00.123457+00:00', '2026-12-07T10:00:00.123+00:00']).order('id');
    expect(inList.data).toEqual([{ id: 2 }, { id: 3 }]);
  });

  it('bigint, numeric and jsonb filters compare every digit (the text goes to Postgres as written)', async () => {
    const big = await alice.client.from('ft_events').select('id').eq('big', '9007199254740993');
    expect(big.data).toEqual([{ id: 1 }]);
    expect((await alice.client.from('ft_events').select('id').eq('big', '9007199254740992')).data).toEqual([]);
    const amount = await alice.client.from('ft_events').select('id').gt('amount', '12345678901234567890.123456788');
    expect(amount.data).toEqual([{ id: 1 }]);
    // Written as text: a JS number cannot hold these digits (contains() would send 12345678901234567000).
    const json = await alice.client.from('ft_events').select('id').filter('meta', 'cs', '{"n": 12345678901234567890}');
    expect(json.data).toEqual([{ id: 1 }]);
    const range = await alice.client.from('ft_events').select('id').rangeGt('during', '[2026-12-07 09:00:00+00,2026-12-07 10:00:00.000001+00)');
    expect(range.data).toEqual([{ id: 1 }]);
  });

  it('a value read back filters its own row (round trip), also after an update returning the row', async () => {
    const all = await alice.client.from('ft_events').select('id, at').order('id');
    for (const row of all.data!) {
      const again = await alice.client.from('ft_events').select('id').eq('at', row.at);
      expect(again.data).toEqual([{ id: row.id }]);
    }
    const updated = await alice.client.from('ft_events').update({ at: '2026-12-08T00:00:00.000001+00:00' }).eq('id', 3).select('at').single();
    expect(updated.data).toEqual({ at: '2026-12-08T00:00:00.000001+00:00' });
    const inserted = await alice.client.from('ft_events').insert({ id: 4, at: '2026-12-09T01:02:03.999999-05:00' }).select('at').single();
    expect(inserted.data).toEqual({ at: '2026-12-09T06:02:03.999999+00:00' });
  });

  it('rpc: a scalar timestamptz and a timestamptz argument keep their microseconds', async () => {
    const latest = await alice.client.rpc('ft_latest');
    expect(latest.data).toBe('2026-12-09T06:02:03.999999+00:00');
    const after = await alice.client.rpc('ft_after', { p_at: '2026-12-07T10:00:00.123456+00:00' }).select('id');
    expect(after.data).toEqual([{ id: 2 }, { id: 3 }, { id: 4 }]);
    const get = await alice.client.rpc('ft_after', { p_at: '2026-12-07T10:00:00.123456+00:00' }, { get: true }).select('id');
    expect(get.data).toEqual([{ id: 2 }, { id: 3 }, { id: 4 }]);
  });
});
