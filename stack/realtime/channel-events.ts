// What a joined client sends on its channel besides its token: broadcasts (Realtime's BroadcastHandler) and
// presence track/untrack (PresenceHandler), with the private-channel policies and the tenant limits they meet.
import type { AccessClaims } from '../keys.ts';
import type { Channel } from './channel.ts';
import type { ConnectionHost } from './connection-host.ts';
import { isObject, type PhoenixMessage } from './protocol.ts';

/**
 * Realtime's BroadcastHandler: on a private channel only claims the `realtime.messages` insert policies allow may
 * send (checked once per channel and token); a refused message is dropped without a reply, as Realtime drops it.
 */
export async function handleBroadcast(host: ConnectionHost, channel: Channel, message: PhoenixMessage): Promise<void> {
  const { ctx } = host;
  const { payload } = message;
  if (typeof payload.event !== 'string') {
    host.reply(message, 'error', { reason: 'broadcast needs an event' });
    return;
  }
  if (channel.isPrivate) {
    channel.broadcastWrite ??= await ctx.authorizeBroadcastWrite(channel.name, JSON.parse(channel.claimsJson) as AccessClaims);
    if (!channel.broadcastWrite || channel.closed) return;
  }
  ctx.limits.events.add();
  // Tenants.validate_payload_size: over the limit nothing is sent; only an ack'ing channel hears why.
  if (ctx.limits.payloadTooLarge(payload.payload instanceof Uint8Array ? payload.payload : payload)) {
    if (channel.broadcastAck) host.replyRaw(message, 'error', 'payload_size_exceeded');
    return;
  }
  const outgoing = { type: 'broadcast', event: payload.event, payload: payload.payload ?? {} } as Record<string, unknown>;
  if (isObject(payload.meta)) outgoing.meta = payload.meta;
  ctx.topics.broadcast(channel.topic, channel.isPrivate, outgoing, channel.broadcastSelf ? undefined : channel);
  if (channel.broadcastAck) host.reply(message, 'ok', {});
}

/**
 * PresenceHandler: `track` {payload} and `untrack`. On a private channel tracking needs the presence insert
 * policies (and reading them the select policies, checked here when the join did not enable presence).
 */
export async function handlePresence(host: ConnectionHost, channel: Channel, message: PhoenixMessage): Promise<void> {
  const { ctx } = host;
  const { payload } = message;
  if (!channel.presenceWindow.allow()) return host.shutdown(channel, 'Client presence rate limit exceeded');
  const event = typeof payload.event === 'string' ? payload.event.toLowerCase() : '';
  if (event === 'untrack') {
    ctx.presence.untrack(channel);
    host.reply(message, 'ok', {});
    return;
  }
  if (payload.event === undefined) return host.reply(message, 'ok', {}); // PresenceHandler.handle(_, _, socket)
  if (event !== 'track') return host.reply(message, 'error', {}); // :unknown_presence_event
  const tracked = payload.payload ?? {};
  if (!isObject(tracked)) return host.reply(message, 'error', { reason: 'Presence track payload must be a map' });
  if (channel.isPrivate) {
    const claims = JSON.parse(channel.claimsJson) as AccessClaims;
    channel.presenceRead ??= await ctx.authorizePrivate(channel.topic, claims, 'presence');
    channel.presenceWrite ??= await ctx.authorizeBroadcastWrite(channel.name, claims, 'presence');
    if (channel.closed) return;
    if (!channel.presenceWrite) return host.reply(message, 'error', {}); // {:error, :unauthorized} -> {:reply, :error, socket}
  }
  if (!ctx.presence.isUnchanged(channel, channel.presenceKey, tracked)) {
    if (ctx.limits.payloadTooLarge(tracked)) return host.shutdown(channel, 'Track message size exceeded');
    if (ctx.limits.presenceEvents.avg > ctx.limits.config.maxPresenceEventsPerSecond) {
      return host.shutdown(channel, 'Too many presence messages per second');
    }
  }
  ctx.presence.track(channel, channel.presenceKey, tracked);
  host.reply(message, 'ok', {});
}
