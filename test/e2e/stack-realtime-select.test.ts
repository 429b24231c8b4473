// postgres_changes `select` (realtime-js 2.10x; Realtime: Subscriptions.parse_select, apply_rls selected_columns)
// with real supabase-js clients: only the listed columns plus the primary key arrive in new/old, each binding of
// a channel with its own selection; a `select` that is not a list, names a column that does not exist, or is
// used on a wildcard subscription gets Realtime's system error. Before, the stack ignored `select` and sent
// every column.
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../stack/realtime/test-support.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

type Change = { eventType: string; new: Record<string, unknown>; old: Record<string, unknown> };
type System = { status?: string; message?: string; extension?: string };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
  if (stack.external) return;
  await stack.sql.unsafe(`
    create table public.rt_select (id int primary key, name text, note text, score int);
    alter table public.rt_select replica identity full;
    grant select, insert, update on public.rt_select to service_role;
    alter publication supabase_realtime add table public.rt_select;`);
});
afterAll(() => stack?.stop());

function subscribed(channel: RealtimeChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(error ?? new Error(status));
    });
  });
}

describe.skipIf(Boolean(process.env.SUPABASE_URL))('postgres_changes select', () => {
  it('sends only the selected columns and the primary key, per binding', async () => {
    const client = stack.serviceClient();
    const narrow = new EventLog<Change>();
    const full = new EventLog<Change>();
    const system = new EventLog<System>();
    const channel = client.channel('select-cols')
      .on('postgres_changes', { event: '*', schema: 'public', table: 'rt_select', select: ['name'] }, (p) => narrow.push(p as unknown as Change))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'rt_select' }, (p) => full.push(p as unknown as Change))
      .on('system', {}, (p: System) => system.push(p));
    await subscribed(channel);
    await system.waitFor((m) => m.message === 'Subscribed to PostgreSQL');
    await stack.sql`insert into public.rt_select values (1, 'Ana', 'private note', 7)`;
    expect((await narrow.waitFor((c) => c.eventType === 'INSERT')).new).toEqual({ id: 1, name: 'Ana' });
    expect((await full.waitFor((c) => c.eventType === 'INSERT')).new).toEqual({ id: 1, name: 'Ana', note: 'private note', score: 7 });
    await stack.sql`update public.rt_select set score = 8 where id = 1`;
    const update = await narrow.waitFor((c) => c.eventType === 'UPDATE');
    expect(update.new).toEqual({ id: 1, name: 'Ana' });
    expect(update.old).toEqual({ id: 1, name: 'Ana' });
    await client.removeChannel(channel);
  });

  it('a select that is not a list, names a missing column or is on a wildcard subscription is a system error', async () => {
    const client = stack.serviceClient();
    const cases: [Record<string, unknown>, string][] = [
      [{ table: 'rt_select', select: 'name' }, 'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]'],
      [{ table: 'rt_select', select: ['nope'] }, 'invalid column for select nope'],
      [{ select: ['name'] }, 'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.'],
    ];
    for (const [i, [params, message]] of cases.entries()) {
      const system = new EventLog<System>();
      const channel = client.channel(`select-bad-${i}`)
        .on('postgres_changes', { event: '*', schema: 'public', ...params } as never, () => {})
        .on('system', {}, (p: System) => system.push(p));
      await subscribed(channel);
      const error = await system.waitFor((m) => m.status === 'error');
      expect(error).toMatchObject({ extension: 'postgres_changes' });
      expect(error.message).toContain(message);
      await client.removeChannel(channel);
    }
  });
});
