// Broadcast from Database with bytes (issue 18): Realtime's `realtime.send_binary(payload bytea, event, topic,
// private)` (supabase/realtime priv/repo/tenant_schema/realtime/functions/send_binary.sql) stores the bytes in
// realtime.messages.binary_payload (exclusive with payload: the messages_payload_exclusive check); its
// ReplicationConnection (pick_payload) sends them as a binary user broadcast with meta {id} (V2Serializer),
// RealtimeChannel.replay replays them with meta {replayed: true, id}, and a vsn 1.0.0 socket, which cannot carry
// bytes, gets nothing (MessageDispatcher: convert_to_json_broadcast fails). Real supabase-js clients.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventLog } from '../../stack/realtime/test-support.ts';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

type Broadcast = { event: string; payload: unknown; meta?: { replayed?: boolean; id?: string } };

let stack: TestStack;
let user: SignedUpUser;
beforeAll(async () => {
  stack = await startTestStack();
  if (stack.external) return;
  await stack.sql.unsafe(`
    create policy "send_binary test: read own topic" on realtime.messages for select to authenticated
      using ((select realtime.topic()) = 'bytes:' || (select auth.uid())::text)`);
  user = await stack.signUp();
});
afterAll(() => stack?.stop());

async function listen(client: SupabaseClient, topic: string, config: Record<string, unknown> = {}): Promise<{ channel: RealtimeChannel; log: EventLog<Broadcast> }> {
  const log = new EventLog<Broadcast>();
  const channel = client.channel(topic, { config }).on('broadcast', { event: '*' }, (m: Broadcast) => log.push(m));
  await new Promise<void>((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(error ?? new Error(status));
    });
  });
  return { channel, log };
}

const bytesOf = (payload: unknown) => [...new Uint8Array(payload as ArrayBuffer)];

describe.skipIf(Boolean(process.env.SUPABASE_URL))('realtime.send_binary', () => {
  it('delivers the bytes as a binary broadcast with the row id in meta; the row holds them in binary_payload', async () => {
    const client = stack.client();
    const { log } = await listen(client, 'bytes-news');
    await stack.sql`select realtime.send_binary(${Buffer.from([0, 1, 2, 255])}, 'blob', 'bytes-news', false)`;
    const message = await log.waitFor((m) => m.event === 'blob');
    expect(bytesOf(message.payload)).toEqual([0, 1, 2, 255]);
    const [row] = await stack.sql<{ id: string; payload: unknown; binary_payload: Buffer }[]>`
      select id::text, payload, binary_payload from realtime.messages where event = 'blob'`;
    expect(message.meta).toEqual({ id: row!.id });
    expect(row!.payload).toBeNull();
    expect([...row!.binary_payload]).toEqual([0, 1, 2, 255]);
    await client.removeAllChannels();
  });

  it('a private channel replays binary messages with meta {replayed, id}', async () => {
    const topic = `bytes:${user.user.id}`;
    const since = Date.now() - 1000;
    await stack.sql`select realtime.send_binary(${Buffer.from('old bytes')}, 'stored', ${topic})`; // private by default
    const client = stack.client();
    await client.realtime.setAuth(user.accessToken);
    const { log } = await listen(client, topic, { private: true, broadcast: { replay: { since } } });
    const replayed = await log.waitFor((m) => m.event === 'stored');
    expect(Buffer.from(replayed.payload as ArrayBuffer).toString()).toBe('old bytes');
    expect(replayed.meta).toEqual({ replayed: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    await client.removeAllChannels();
  });

  it('a vsn 1.0.0 socket gets the JSON broadcasts of the topic but not the binary one', async () => {
    const ws = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${stack.publishableKey}&vsn=1.0.0`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    type Frame = { binary: boolean; event?: string; payload?: { event?: string } };
    const frames = new EventLog<Frame>();
    ws.on('message', (data, isBinary) => frames.push(isBinary ? { binary: true } : { ...(JSON.parse(String(data)) as Omit<Frame, 'binary'>), binary: false }));
    ws.send(JSON.stringify({ topic: 'realtime:bytes-v1', event: 'phx_join', ref: '1', join_ref: '1', payload: { config: {} } }));
    await frames.waitFor((f) => f.event === 'phx_reply');
    const v2 = await listen(stack.client(), 'bytes-v1'); // a vsn 2.0.0 client on the same topic sees both
    await stack.sql`select realtime.send_binary(${Buffer.from([7])}, 'binary-one', 'bytes-v1', false)`;
    await stack.sql`select realtime.send(${stack.sql.json({ n: 1 })}, 'json-one', 'bytes-v1', false)`;
    await v2.log.waitFor((m) => m.event === 'json-one');
    expect(v2.log.events.map((m) => m.event)).toEqual(['binary-one', 'json-one']);
    await frames.waitFor((f) => f.payload?.event === 'json-one');
    // WAL order: had the binary one been delivered, it would have come first.
    expect(frames.events.filter((f) => f.binary || f.event === 'broadcast').map((f) => f.payload?.event)).toEqual(['json-one']);
    ws.close();
    await v2.channel.unsubscribe();
  });

  it('a failed insert is only a warning; a row cannot carry both payloads', async () => {
    const warnings: string[] = [];
    const sql = (await import('postgres')).default(stack.databaseUrl, { max: 1, onnotice: (n) => warnings.push(String(n.message)) });
    try {
      await sql`select realtime.send_binary('\\x01'::bytea, 'no-topic-bytes', null, true)`; // topic is not null: the insert fails
    } finally {
      await sql.end();
    }
    expect(warnings.join('\n')).toContain('WarnSendingBroadcastMessage');
    expect((await stack.sql`select 1 from realtime.messages where event = 'no-topic-bytes'`).length).toBe(0);
    await expect(stack.sql`insert into realtime.messages (topic, extension, event, payload, binary_payload)
      values ('both', 'broadcast', 'both', '{}'::jsonb, '\\x01'::bytea)`).rejects.toMatchObject({ code: '23514' });
  });
});
