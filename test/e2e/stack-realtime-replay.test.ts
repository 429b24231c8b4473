// Broadcast Replay (Supabase docs: realtime/broadcast "Broadcast replay"; Realtime: RealtimeChannel
// maybe_replay_messages, Realtime.Messages.replay) with real supabase-js clients: a private channel joined with
// `config.broadcast.replay {since, limit}` gets the topic's database broadcasts (realtime.send) since `since`,
// the newest `limit` (at most 25) oldest first, each with meta {replayed: true, id}; live ones follow with meta {id}.
// Public channels and invalid params are refused with Realtime's join errors; rows older than 72 h are gone.
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventLog } from '../../stack/realtime/test-support.ts';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

type Broadcast = { event: string; payload: Record<string, unknown>; meta?: { replayed?: boolean; id?: string } };

let stack: TestStack;
let user: SignedUpUser;
let topic: string;

beforeAll(async () => {
  stack = await startTestStack();
  if (stack.external) return;
  await stack.sql.unsafe(`
    create policy "replay test: read own topic" on realtime.messages for select to authenticated
      using ((select realtime.topic()) = 'inbox:' || (select auth.uid())::text)`);
  user = await stack.signUp();
  topic = `inbox:${user.user.id}`;
});
afterAll(() => stack?.stop());

async function send(n: number, event = 'note'): Promise<void> {
  await stack.sql`select realtime.send(${stack.sql.json({ n })}, ${event}, ${topic}, true)`;
}

function join(config: Record<string, unknown>, isPrivate = true): { channel: RealtimeChannel; log: EventLog<Broadcast>; status: Promise<string> } {
  const client = stack.client();
  const log = new EventLog<Broadcast>();
  const channel = client.channel(topic, { config: { private: isPrivate, ...config } }).on('broadcast', { event: '*' }, (m: Broadcast) => log.push(m));
  const status = (async () => {
    await client.realtime.setAuth(user.accessToken);
    return new Promise<string>((resolve) => {
      channel.subscribe((state, error) => {
        if (state === 'SUBSCRIBED') resolve(state);
        else if (state === 'CHANNEL_ERROR' || state === 'TIMED_OUT') resolve(error?.message ?? state);
      });
    });
  })();
  return { channel, log, status };
}

describe.skipIf(Boolean(process.env.SUPABASE_URL))('broadcast replay', () => {
  it('replays the newest `limit` messages since `since`, oldest first with meta.replayed, then live ones', async () => {
    await send(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const n of [1, 2, 3]) await send(n);
    const { channel, log, status } = join({ broadcast: { replay: { since, limit: 2 } } });
    expect(await status).toBe('SUBSCRIBED');
    await log.waitFor((m) => m.payload.n === 3);
    expect(log.events.map((m) => [m.payload.n, m.meta?.replayed])).toEqual([[2, true], [3, true]]);
    // realtime.send put the message id in the payload too.
    expect(log.events[0]!.meta!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(log.events[0]!.payload).toEqual({ n: 2, id: log.events[0]!.meta!.id });
    await send(4);
    const live = await log.waitFor((m) => m.payload.n === 4);
    expect(live.meta).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(log.events).toHaveLength(3);
    await stack.client().removeChannel(channel);
  });

  it('realtime.send as Realtime defines it: a payload with its own id keeps it; a failed insert is only a warning', async () => {
    await stack.sql`select realtime.send(${stack.sql.json({ id: 'mine' })}, 'own-id', ${topic}, true)`;
    const [row] = await stack.sql<{ payload: { id: string } }[]>`select payload from realtime.messages where event = 'own-id'`;
    expect(row!.payload).toEqual({ id: 'mine' });
    const warnings: string[] = [];
    const sql = (await import('postgres')).default(stack.databaseUrl, { max: 1, onnotice: (n) => warnings.push(String(n.message)) });
    try {
      await sql`select realtime.send('{}'::jsonb, 'no-topic', null, true)`; // topic is not null: the insert fails
    } finally {
      await sql.end();
    }
    expect(warnings.join('\n')).toContain('WarnSendingBroadcastMessage');
    expect((await stack.sql`select 1 from realtime.messages where event = 'no-topic'`).length).toBe(0);
  });

  it('at most 25 are replayed; rows older than 72 hours are not', async () => {
    for (let n = 100; n < 130; n++) await send(n, 'bulk');
    await stack.sql`update realtime.messages set inserted_at = now() - interval '5 days' where topic = ${topic} and event = 'note'`;
    const { log, status } = join({ broadcast: { replay: { since: 0, limit: 100 } } });
    expect(await status).toBe('SUBSCRIBED');
    await log.waitFor((m) => m.payload.n === 129);
    expect(log.events.map((m) => m.payload.n)).toEqual(Array.from({ length: 25 }, (_, i) => 105 + i));
  });

  it('a public channel asking for replay is refused; so are params without an integer `since`', async () => {
    // realtime-js throws before sending such a join; the server refuses it from any other client.
    expect(() => join({ broadcast: { replay: { since: 0 } } }, false)).toThrow(/must be a private channel/);
    const ws = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${stack.publishableKey}&vsn=1.0.0`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const reply = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
    ws.send(JSON.stringify({ topic: 'realtime:news', event: 'phx_join', ref: '1', join_ref: '1', payload: { config: { broadcast: { replay: { since: 0 } } } } }));
    expect(await reply).toMatchObject({ event: 'phx_reply', payload: { status: 'error', response: { reason: 'UnableToReplayMessages: Replay is not allowed for public channels' } } });
    ws.close();
    expect(await join({ broadcast: { replay: { limit: 5 } } }).status).toContain('UnableToReplayMessages: Replay params are not valid');
    expect(await join({ broadcast: { replay: { since: 'yesterday' } } }).status).toContain('UnableToReplayMessages: Replay params are not valid');
  });
});

describe.skipIf(Boolean(process.env.SUPABASE_URL))('replication_ready', () => {
  it('config.broadcast.replication_ready gets the system message "Replication connection established" after the join', async () => {
    const client = stack.client();
    type System = { status?: string; message?: string; extension?: string };
    const system = new EventLog<System>();
    const channel = client.channel('ready-check', { config: { broadcast: { replication_ready: true } } }).on('system', {}, (m: System) => system.push(m));
    await new Promise<void>((resolve) => channel.subscribe((status) => status === 'SUBSCRIBED' && resolve()));
    expect(await system.waitFor((m) => m.extension === 'system')).toMatchObject({ status: 'ok', message: 'Replication connection established', channel: 'ready-check' });
    await client.removeChannel(channel);
  });
});
