// phx_join (RealtimeChannel.join/3): the tenant's join limits, the token, the postgres_changes bindings, a
// private channel's read policies, Broadcast Replay; then the reply, the replayed messages, presence_state,
// and the postgres_changes subscription (retried while the database cannot take it).
import { verifyAccessToken, type AccessClaims } from '../keys.ts';
import { BindingError, parseBindings, resolveBindings, type PgBinding } from './bindings.ts';
import { Channel } from './channel.ts';
import { describeTokenError, noReadPermission } from './channel-token.ts';
import type { ConnectionHost } from './connection-host.ts';
import { ClientPresenceWindow, joinRefusal } from './limits.ts';
import { encodeFrame, isObject, type PhoenixMessage } from './protocol.ts';
import { loadReplay, replayRequest, type ReplayedMessage } from './replay.ts';

export async function joinChannel(host: ConnectionHost, message: PhoenixMessage): Promise<void> {
  const { ctx } = host;
  const { payload } = message;
  const config = isObject(payload.config) ? payload.config : {};
  const previous = host.channels.get(message.topic);
  if (previous) {
    host.leave(previous);
    host.send(encodeFrame({ joinRef: previous.joinRef, ref: null, topic: previous.topic, event: 'phx_close', payload: {} }, host.vsn));
  }
  const refusal = joinRefusal(ctx.limits, host, host.channels.size);
  if (refusal) {
    host.reply(message, 'error', { reason: refusal.reason });
    if (refusal.disconnect) host.close(1000, 'disconnect');
    return;
  }
  const token = typeof payload.access_token === 'string' && payload.access_token !== '' ? payload.access_token : host.apikey;
  let claims: AccessClaims;
  try {
    claims = token === host.apikey ? host.apikeyClaims : await verifyAccessToken(token, ctx.jwtKeys);
  } catch (error) {
    host.reply(message, 'error', { reason: describeTokenError(error, token) });
    return;
  }
  let bindings;
  try {
    bindings = parseBindings(config.postgres_changes);
  } catch (error) {
    if (!(error instanceof BindingError)) throw error;
    host.reply(message, 'error', { reason: error.message });
    return;
  }
  const presence = isObject(config.presence) ? config.presence : {};
  // maybe_assign_policies: a private channel may be joined when its broadcast or (presence enabled) presence may be read.
  const read = config.private === true ? await ctx.readPolicies(message.topic, claims, presence.enabled === true) : null;
  if (read && !read.broadcast && !read.presence) {
    return host.reply(message, 'error', { reason: `Unauthorized: ${noReadPermission(message.topic)}` });
  }
  const replay = replayRequest(config, config.private === true);
  if (replay && 'error' in replay) return host.reply(message, 'error', { reason: replay.error });
  let replayed: ReplayedMessage[] = [];
  if (replay) {
    try {
      replayed = await loadReplay(ctx.pool, message.topic.replace(/^realtime:/, ''), replay.since, replay.limit);
    } catch (error) {
      ctx.logger.warn({ err: error }, 'realtime: replay query failed');
      return host.reply(message, 'error', { reason: 'UnableToReplayMessages: Realtime was unable to replay messages' });
    }
  }
  const broadcast = isObject(config.broadcast) ? config.broadcast : {};
  const channel = new Channel(message.topic, message.joinRef, claims, broadcast.self === true, broadcast.ack === true, config.private === true, host);
  if (read) [channel.broadcastRead, channel.presenceRead] = [read.broadcast, read.presence];
  if (typeof presence.key === 'string' && presence.key !== '') channel.presenceKey = presence.key;
  channel.presenceWindow = new ClientPresenceWindow(ctx.limits.config.clientPresenceMaxCalls, ctx.limits.config.clientPresenceWindowMs);
  host.channels.set(message.topic, channel);
  ctx.limits.users.add(host);
  ctx.topics.join(channel);

  let bindingError: string | null = null;
  let infrastructureError = false;
  if (bindings.length > 0) {
    try {
      await resolveBindings(ctx.pool, claims.role, bindings);
      if (channel.closed) return; // left or disconnected meanwhile: never index a dead channel
      channel.bindings = bindings;
      ctx.dispatcher.add(channel);
    } catch (error) {
      if (error instanceof BindingError) bindingError = error.message;
      else infrastructureError = true; // database unreachable (restart): retried below
    }
  }
  const response = Array.isArray(config.postgres_changes)
    ? { postgres_changes: bindings.map((binding) => ({ ...binding.params, id: binding.id })) }
    : {};
  if (channel.closed) return;
  host.reply(message, 'ok', response);
  channel.replayedIds = new Set(replayed.map((m) => m.id));
  for (const m of replayed) host.sendBroadcast(channel, { type: 'broadcast', event: m.event, payload: m.payload, meta: { replayed: true, id: m.id } });
  // PresenceHandler.sync after the join: the current state, when presence is enabled and may be read.
  if (presence.enabled === true && (!channel.isPrivate || channel.presenceRead)) channel.push('presence_state', ctx.presence.state(channel));
  // config.broadcast.replication_ready: a system message once the database's change stream runs (Realtime's :notify_replication_ready).
  if (broadcast.replication_ready) void ctx.stream.waitReady().then(() => channel.push('system', { message: 'Replication connection established', status: 'ok', extension: 'system', channel: channel.name }));
  if (bindings.length === 0) return;
  if (bindingError !== null) {
    channel.rejectedBindings = bindings;
    channel.push('system', { message: bindingError, status: 'error', extension: 'postgres_changes', channel: channel.name });
    return;
  }
  if (infrastructureError) {
    void subscribeWhenPossible(host, channel, bindings);
    return;
  }
  void ctx.stream.waitReady().then(() => channel.confirmSubscribed());
}

/** Realtime keeps retrying a postgres_changes subscription the database could not take; so do we. */
async function subscribeWhenPossible(host: ConnectionHost, channel: Channel, bindings: PgBinding[]): Promise<void> {
  const { ctx } = host;
  for (let attempt = 0; !channel.closed; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * 2 ** attempt)));
    await ctx.stream.waitReady();
    if (channel.closed) return;
    try {
      await resolveBindings(ctx.pool, channel.role, bindings);
    } catch (error) {
      if (!(error instanceof BindingError)) continue;
      channel.push('system', { message: error.message, status: 'error', extension: 'postgres_changes', channel: channel.name });
      return;
    }
    if (channel.closed) return;
    channel.bindings = bindings;
    ctx.dispatcher.add(channel);
    channel.confirmSubscribed();
    return;
  }
}
