// A channel's claims after the join: the `access_token` event (RealtimeChannel.handle_in("access_token")),
// and the reasons Realtime gives when a token or a private channel's read policies end the channel.
import { decodeJwt } from 'jose';
import { InvalidJwtError, verifyAccessToken, type AccessClaims } from '../keys.ts';
import { resolveBindings } from './bindings.ts';
import type { Channel } from './channel.ts';
import type { ConnectionHost } from './connection-host.ts';
import type { PhoenixMessage } from './protocol.ts';

export async function refreshToken(host: ConnectionHost, channel: Channel, message: PhoenixMessage): Promise<void> {
  const { ctx } = host;
  const token = message.payload.access_token;
  // Realtime ignores an API key (`sb_…`) sent as access_token: the channel keeps the claims it has.
  if (typeof token !== 'string' || token === '' || token.startsWith('sb_')) return;
  let claims: AccessClaims;
  try {
    claims = await verifyAccessToken(token, ctx.jwtKeys);
  } catch (error) {
    return host.shutdown(channel, describeTokenError(error, token));
  }
  channel.updateClaims(claims);
  if (channel.isPrivate) {
    // The new token's read policies (maybe_assign_policies again): none, or one granted before and no longer, ends the channel.
    const read = await ctx.readPolicies(channel.topic, claims, channel.presenceRead !== null);
    if (channel.closed) return;
    if (!read.broadcast && !read.presence) return host.shutdown(channel, noReadPermission(channel.topic));
    if ((channel.broadcastRead && !read.broadcast) || (channel.presenceRead === true && read.presence === false)) {
      return host.shutdown(channel, `You no longer have permission to read from this Channel topic: ${channel.name}`);
    }
    [channel.broadcastRead, channel.presenceRead] = [read.broadcast, read.presence];
  }
  // A join sent before the client knew its user token (supabase-js' accessToken callback resolves after the
  // first join) ran with the apikey's claims; with the user's claims the bindings may now be fine.
  const rejected = channel.rejectedBindings;
  if (!rejected) return;
  try {
    await resolveBindings(ctx.pool, channel.role, rejected);
  } catch {
    return;
  }
  if (channel.closed) return;
  channel.rejectedBindings = null;
  channel.bindings = rejected;
  ctx.dispatcher.add(channel);
  await ctx.stream.waitReady();
  channel.confirmSubscribed();
}

export function noReadPermission(topic: string): string {
  return `You do not have permissions to read from this Channel topic: ${topic.replace(/^realtime:/, '')}`;
}

export function describeTokenError(error: unknown, token: string): string {
  if (error instanceof InvalidJwtError && error.reason === 'expired') {
    let seconds = 0;
    try {
      const { exp } = decodeJwt(token);
      if (typeof exp === 'number') seconds = Math.max(0, Math.floor(Date.now() / 1000 - exp));
    } catch {
      // keep 0
    }
    return `Token has expired ${seconds} seconds ago`;
  }
  return `InvalidJWTToken: ${error instanceof Error ? error.message : String(error)}`;
}
