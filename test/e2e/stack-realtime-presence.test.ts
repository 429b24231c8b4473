// Realtime Presence through the gateway with real supabase-js clients, as Realtime's PresenceHandler serves it:
// presence_state after the join, track/untrack/leave as presence_diff to every channel of the topic (join/leave
// events and presenceState() in realtime-js), a second track replacing the first, public and private channels
// apart, and on a private channel tracking only with a `realtime.messages` insert policy for the topic. Private joins
// as RealtimeChannel.maybe_assign_policies allows them (broadcast read or, presence enabled, presence read); a
// reader without the write policy is read-only (PresenceHandler: track {:error, :unauthorized} -> reply error), and
// broadcasts and presence reach only the channels allowed to read each (MessageDispatcher broadcast_read?/presence_read?).
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../stack/realtime/test-support.ts';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

type PresenceEvent = { event: 'sync' | 'join' | 'leave' | 'broadcast'; key?: string; metas: Record<string, unknown>[] };

let stack: TestStack;
let user: SignedUpUser;
beforeAll(async () => {
  stack = await startTestStack();
  if (stack.external) return;
  await stack.sql.unsafe(`
    create policy "presence test: read own topics" on realtime.messages for select to authenticated
      using ((select realtime.topic()) in ('user:' || (select auth.uid())::text, 'readonly:' || (select auth.uid())::text));
    create policy "presence test: write own topic" on realtime.messages for insert to authenticated
      with check ((select realtime.topic()) = 'user:' || (select auth.uid())::text and extension = 'presence');
    create policy "presence test: presence only" on realtime.messages for select to authenticated
      using ((select realtime.topic()) = 'watch:' || (select auth.uid())::text and extension = 'presence');
    create policy "presence test: broadcast only" on realtime.messages for select to authenticated
      using ((select realtime.topic()) = 'news:' || (select auth.uid())::text and extension = 'broadcast')`);
  user = await stack.signUp();
});
afterAll(() => stack?.stop());

/** Joins `name` with presence under `key`, logging sync/join/leave; resolves once SUBSCRIBED. */
async function present(client: SupabaseClient, name: string, key: string, isPrivate = false) {
  const log = new EventLog<PresenceEvent>();
  const channel: RealtimeChannel = client
    .channel(name, { config: { presence: { key }, private: isPrivate } })
    .on('presence', { event: 'sync' }, () => log.push({ event: 'sync', metas: [] }))
    .on('presence', { event: 'join' }, ({ key: k, newPresences }) => log.push({ event: 'join', key: k, metas: newPresences }))
    .on('presence', { event: 'leave' }, ({ key: k, leftPresences }) => log.push({ event: 'leave', key: k, metas: leftPresences }))
    .on('broadcast', { event: '*' }, ({ event, payload }) => log.push({ event: 'broadcast', key: String(event), metas: [payload] }));
  await new Promise<void>((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(error ?? new Error(status));
    });
  });
  return { channel, log };
}

async function signedInClient(): Promise<SupabaseClient> {
  const client = stack.client();
  await client.realtime.setAuth(user.accessToken);
  return client;
}

const keysOf = (channel: RealtimeChannel) => Object.keys(channel.presenceState()).sort();

describe.skipIf(Boolean(process.env.SUPABASE_URL))('realtime presence', () => {
  it('track, untrack and leaving reach every channel of the topic as join/leave events and presenceState()', async () => {
    const alice = await present(stack.client(), 'lobby', 'alice');
    await alice.log.waitFor((e) => e.event === 'sync'); // presence_state (empty) after the join
    expect(await alice.channel.track({ status: 'online' })).toBe('ok');
    const bobClient = stack.client();
    const bob = await present(bobClient, 'lobby', 'bob');
    await bob.log.waitFor((e) => e.event === 'join' && e.key === 'alice'); // from bob's presence_state
    expect(await bob.channel.track({ status: 'away' })).toBe('ok');
    await alice.log.waitFor((e) => e.event === 'join' && e.key === 'bob');
    expect(keysOf(alice.channel)).toEqual(['alice', 'bob']);
    expect(alice.channel.presenceState().bob).toEqual([expect.objectContaining({ status: 'away', presence_ref: expect.any(String) })]);

    expect(await alice.channel.untrack()).toBe('ok');
    await bob.log.waitFor((e) => e.event === 'leave' && e.key === 'alice');
    expect(keysOf(bob.channel)).toEqual(['bob']);
    await bobClient.removeAllChannels(); // leaving untracks bob
    await alice.log.waitFor((e) => e.event === 'leave' && e.key === 'bob');
    expect(keysOf(alice.channel)).toEqual([]);
  });

  it('tracking again replaces the meta: one diff with the new meta joined and the old one left; later joiners see one meta', async () => {
    const dave = await present(stack.client(), 'desk', 'dave');
    const carol = await present(stack.client(), 'desk', 'carol');
    expect(await dave.channel.track({ status: 'online' })).toBe('ok');
    await carol.log.waitFor((e) => e.event === 'join' && e.metas[0]?.status === 'online');
    expect(await dave.channel.track({ status: 'busy' })).toBe('ok');
    expect(await dave.channel.track({ status: 'busy' })).toBe('ok'); // the same payload again: no diff
    await carol.log.waitFor((e) => e.event === 'leave' && e.metas[0]?.status === 'online');
    expect(carol.log.events.filter((e) => e.event !== 'sync').map((e) => `${e.event}:${e.key}:${String(e.metas[0]?.status)}`))
      .toEqual(['join:dave:online', 'join:dave:busy', 'leave:dave:online']);
    const late = await present(stack.client(), 'desk', 'late');
    await late.log.waitFor((e) => e.event === 'join' && e.key === 'dave');
    expect(late.channel.presenceState().dave).toEqual([expect.objectContaining({ status: 'busy' })]);
  });

  it('private channels: track needs the insert policy for the topic; public channels of the topic never see it', async () => {
    const mine = `user:${user.user.id}`;
    const readonly = `readonly:${user.user.id}`;
    const watcher = await present(await signedInClient(), mine, 'watcher', true);
    const publicSide = await present(stack.client(), mine, 'outsider');
    const tracker = await signedInClient();
    const allowed = await present(tracker, mine, 'rep', true);
    expect(await allowed.channel.track({ online: true })).toBe('ok');
    await watcher.log.waitFor((e) => e.event === 'join' && e.key === 'rep');
    expect(await (await present(tracker, readonly, 'rep', true)).channel.track({ online: true })).toBe('error');

    expect(await publicSide.channel.track({ online: 'public' })).toBe('ok');
    await publicSide.log.waitFor((e) => e.event === 'join' && e.key === 'outsider');
    expect(keysOf(publicSide.channel)).toEqual(['outsider']);
    expect(keysOf(watcher.channel)).toEqual(['rep']);
  });

  it('private channels: a presence-only reader joins, sees presence and no broadcast, and may not track', async () => {
    const topic = `watch:${user.user.id}`;
    const reader = await present(await signedInClient(), topic, 'reader', true); // before: refused (broadcast read only)
    const staff = await present(stack.serviceClient(), topic, 'staff', true);
    const peer = await present(stack.serviceClient(), topic, 'peer', true);
    expect(await staff.channel.send({ type: 'broadcast', event: 'news', payload: { n: 1 } })).toBe('ok');
    expect(await staff.channel.track({ on: 1 })).toBe('ok');
    await peer.log.waitFor((e) => e.event === 'broadcast' && e.key === 'news');
    await reader.log.waitFor((e) => e.event === 'join' && e.key === 'staff'); // the diff came after the broadcast
    expect(reader.log.events.filter((e) => e.event === 'broadcast')).toEqual([]);
    expect(await reader.channel.track({ on: 1 })).toBe('error'); // read-only: no insert policy
    expect(await staff.channel.track({ on: 2 })).toBe('ok');
    await peer.log.waitFor((e) => e.event === 'join' && e.key === 'staff' && e.metas[0]?.on === 2);
    await reader.log.waitFor((e) => e.event === 'join' && e.key === 'staff' && e.metas[0]?.on === 2);
    expect(keysOf(reader.channel)).toEqual(['staff']); // the refused track added nothing
    expect(keysOf(peer.channel)).toEqual(['staff']);
  });

  it('private channels: a broadcast-only reader with presence enabled gets broadcasts and no presence', async () => {
    const topic = `news:${user.user.id}`;
    const reader = await present(await signedInClient(), topic, 'reader', true);
    const staff = await present(stack.serviceClient(), topic, 'staff', true);
    expect(await staff.channel.track({ on: 1 })).toBe('ok');
    expect(await staff.channel.send({ type: 'broadcast', event: 'after-track', payload: {} })).toBe('ok');
    await reader.log.waitFor((e) => e.event === 'broadcast' && e.key === 'after-track'); // the diff went before it
    expect(reader.log.events.filter((e) => e.event !== 'broadcast')).toEqual([]); // no presence_state, no diff
  });

  it('private channels: a token whose claims may read neither broadcast nor presence ends the channel', async () => {
    const topic = `watch:${user.user.id}`;
    const client = await signedInClient();
    const reader = await present(client, topic, 'reader', true);
    const closed = new Promise<string>((resolve) => reader.channel.on('system', {}, (m: { message: string }) => resolve(m.message)));
    const other = await stack.signUp();
    await client.realtime.setAuth(other.accessToken);
    expect(await closed).toBe(`You do not have permissions to read from this Channel topic: ${topic}`);
  });
});
