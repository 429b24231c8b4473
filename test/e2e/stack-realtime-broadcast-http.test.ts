// Realtime's REST broadcast through the gateway (issue 18.2), with real supabase-js clients: httpSend()
// (`POST /realtime/v1/api/broadcast/<topic>/events/<event>`) and send() on a channel that is not joined
// (`POST /realtime/v1/api/broadcast` with `{messages}`), as RealtimeWeb.BroadcastSingleController and
// BroadcastController answer them: 202, public messages to public channels only, private ones only when the
// `realtime.messages` insert policies allow the topic (the batch drops a refused topic, httpSend is 403).
// Also the socket side of the same rule: a private channel's broadcast needs the insert policy too.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventLog } from '../../stack/realtime/test-support.ts';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

type Broadcast = { event: string; payload: unknown; meta?: unknown };

let stack: TestStack;
let user: SignedUpUser;
beforeAll(async () => {
  stack = await startTestStack();
  if (stack.external) return;
  await stack.sql.unsafe(`
    create policy "http broadcast test: read own topics" on realtime.messages for select to authenticated
      using ((select realtime.topic()) in ('user:' || (select auth.uid())::text, 'readonly:' || (select auth.uid())::text));
    create policy "http broadcast test: write own topic" on realtime.messages for insert to authenticated
      with check ((select realtime.topic()) = 'user:' || (select auth.uid())::text and extension = 'broadcast')`);
  user = await stack.signUp();
  await user.client.realtime.setAuth(user.accessToken);
});
afterAll(() => stack?.stop());

/** Joins `name` and collects its broadcasts; resolves once SUBSCRIBED. */
async function listen(client: SupabaseClient, name: string, config: { private?: boolean } = {}): Promise<{ channel: RealtimeChannel; log: EventLog<Broadcast> }> {
  const log = new EventLog<Broadcast>();
  const channel = client.channel(name, { config }).on('broadcast', { event: '*' }, log.push);
  await new Promise<void>((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(error ?? new Error(status));
    });
  });
  return { channel, log };
}

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}/realtime/v1${path}`, {
    method: 'POST',
    headers: { apikey: stack.publishableKey, authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe.skipIf(Boolean(process.env.SUPABASE_URL))('realtime REST broadcast', () => {
  it('httpSend: 202 {success: true}; public reaches public channels of the topic only, private the private ones', async () => {
    const topic = `user:${user.user.id}`;
    // supabase-js keeps one channel per topic and client: the public and the private side need a client each.
    const publicListener = stack.client();
    const publicSide = await listen(publicListener, topic);
    const privateSide = await listen(user.client, topic, { private: true });

    expect(await stack.client().channel(topic).httpSend('to-public', { n: 1 })).toEqual({ success: true });
    const privateSender = stack.client();
    await privateSender.realtime.setAuth(user.accessToken);
    expect(await privateSender.channel(topic, { config: { private: true } }).httpSend('to-private', { n: 2 })).toEqual({ success: true });

    expect(await publicSide.log.waitFor((m) => m.event === 'to-public')).toMatchObject({ event: 'to-public', payload: { n: 1 } });
    expect(await privateSide.log.waitFor((m) => m.event === 'to-private')).toMatchObject({ event: 'to-private', payload: { n: 2 } });
    expect(publicSide.log.events.map((m) => m.event)).toEqual(['to-public']);
    expect(privateSide.log.events.map((m) => m.event)).toEqual(['to-private']);
    await publicListener.removeAllChannels();
    await user.client.removeAllChannels();
  });

  it('httpSend on a private topic the insert policies refuse rejects with "Unauthorized" (403) and delivers nothing', async () => {
    const topic = `readonly:${user.user.id}`;
    const side = await listen(user.client, topic, { private: true });
    await expect(user.client.channel(topic, { config: { private: true } }).httpSend('nope', { n: 1 })).rejects.toThrow('Unauthorized');
    expect(await post(`/api/broadcast/${encodeURIComponent(topic)}/events/nope?private=true`, '{}')).toEqual({ status: 403, body: { message: 'Unauthorized' } });
    // The service role may write any topic.
    const service = stack.serviceClient();
    expect(await service.channel(topic, { config: { private: true } }).httpSend('from-service', { ok: true })).toEqual({ success: true });
    await side.log.waitFor((m) => m.event === 'from-service');
    expect(side.log.events.map((m) => m.event)).toEqual(['from-service']);
    await user.client.removeChannel(side.channel);
  });

  it('httpSend with binary data reaches a vsn 2.0.0 client as bytes; JSON that is not an object arrives as {_json}', async () => {
    const listener = stack.client();
    const side = await listen(listener, 'bytes-room');
    const sender = stack.client();
    expect(await sender.channel('bytes-room').httpSend('blob', new Uint8Array([1, 2, 250]))).toEqual({ success: true });
    const blob = await side.log.waitFor((m) => m.event === 'blob');
    expect([...new Uint8Array(blob.payload as ArrayBuffer)]).toEqual([1, 2, 250]);
    expect((await post('/api/broadcast/bytes-room/events/list', '[1,2]')).status).toBe(202);
    expect((await side.log.waitFor((m) => m.event === 'list')).payload).toEqual({ _json: [1, 2] });
    expect(await post('/api/broadcast/bytes-room/events/text', 'hi', { 'content-type': 'text/plain' }))
      .toEqual({ status: 415, body: { error: 'Unsupported Media Type. Use application/json or application/octet-stream' } });
    await expect(sender.channel('bytes-room').httpSend('x', null as never)).rejects.toThrow('Payload is required');
    await listener.removeAllChannels();
  });

  it('send() on a channel that is not joined goes through POST /api/broadcast and answers ok', async () => {
    const listener = stack.client();
    const side = await listen(listener, 'fallback-room');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {}); // realtime-js warns that the fallback is deprecated
    try {
      expect(await stack.client().channel('fallback-room').send({ type: 'broadcast', event: 'via-rest', payload: { hello: 'rest' } })).toBe('ok');
    } finally {
      warn.mockRestore();
    }
    expect(await side.log.waitFor((m) => m.event === 'via-rest')).toMatchObject({ type: 'broadcast', event: 'via-rest', payload: { hello: 'rest' } });
    await listener.removeAllChannels();
  });

  it('POST /api/broadcast: meta.id from the message id, refused private topics dropped (still 202), changeset errors as 422', async () => {
    const mine = `user:${user.user.id}`;
    const readonly = `readonly:${user.user.id}`;
    const own = await listen(user.client, mine, { private: true });
    const other = await listen(user.client, readonly, { private: true });
    const id = crypto.randomUUID();
    const sent = await post('/api/broadcast', JSON.stringify({
      messages: [
        { topic: readonly, event: 'refused', payload: { n: 1 }, private: true },
        { topic: mine, event: 'allowed', payload: { n: 2 }, private: true, id },
      ],
    }));
    expect(sent).toEqual({ status: 202, body: undefined });
    expect(await own.log.waitFor((m) => m.event === 'allowed')).toMatchObject({ payload: { n: 2 }, meta: { id } });
    expect(other.log.events).toEqual([]);

    expect(await post('/api/broadcast', '{}')).toEqual({ status: 422, body: { errors: { messages: ["can't be blank"] } } });
    expect(await post('/api/broadcast', JSON.stringify({ messages: [{ topic: 'a', event: 'b', payload: {} }, { topic: '', payload: 'text' }] })))
      .toEqual({ status: 422, body: { errors: { messages: [{}, { topic: ["can't be blank"], event: ["can't be blank"], payload: ['is invalid'] }] } } });
    expect((await post('/api/broadcast', 'not json')).status).toBe(400);
    expect(await post('/api/broadcast', JSON.stringify({ messages: [{ topic: 'a', event: 'b', payload: {} }] }), { authorization: 'Bearer not-a-jwt' }))
      .toEqual({ status: 401, body: { message: 'Unauthorized' } });
    const noKey = await fetch(`${stack.url}/realtime/v1/api/broadcast`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401); // Kong's key-auth, before Realtime
    await user.client.removeAllChannels();
  });

  it('a private channel broadcasts over the socket only where the insert policies allow it', async () => {
    const mine = `user:${user.user.id}`;
    const readonly = `readonly:${user.user.id}`;
    const listener = stack.client();
    await listener.realtime.setAuth(user.accessToken);
    const listenMine = await listen(listener, mine, { private: true });
    const listenReadonly = await listen(listener, readonly, { private: true });
    const publicListener = stack.client();
    const listenPublic = await listen(publicListener, mine);

    const sender = stack.client();
    await sender.realtime.setAuth(user.accessToken);
    const sendReadonly = (await listen(sender, readonly, { private: true })).channel;
    const sendMine = (await listen(sender, mine, { private: true })).channel;
    await sendReadonly.send({ type: 'broadcast', event: 'refused', payload: {} });
    await sendMine.send({ type: 'broadcast', event: 'allowed', payload: {} });
    await listenMine.log.waitFor((m) => m.event === 'allowed');
    // The sender's frames are handled in order: once "allowed" arrived, "refused" was handled (and dropped).
    expect(listenReadonly.log.events).toEqual([]);
    expect(listenPublic.log.events).toEqual([]);
    await publicListener.removeAllChannels();
    await listener.removeAllChannels();
    await sender.removeAllChannels();
  });
});
