// What the per-socket handlers (join.ts, channel-token.ts, channel-events.ts) need from their Connection:
// the server context, the socket's serializer and API key, its channels, and the ways to answer and push.
import type { AccessClaims } from '../keys.ts';
import type { Channel, ChannelTransport } from './channel.ts';
import type { PhoenixMessage, Vsn } from './protocol.ts';
import type { ServerContext } from './server-context.ts';

export interface ConnectionHost extends ChannelTransport {
  readonly ctx: ServerContext;
  readonly vsn: Vsn;
  /** The API key the socket connected with, and its claims: a join without access_token runs under them. */
  readonly apikey: string;
  readonly apikeyClaims: AccessClaims;
  /** Joined channels by topic. */
  readonly channels: Map<string, Channel>;
  /** phx_reply to a client message (nothing when it carried no ref). */
  reply(message: PhoenixMessage, status: 'ok' | 'error', response: Record<string, unknown>): void;
  /** Realtime replies some errors with an atom as the whole response (`{status: 'error', response: 'payload_size_exceeded'}`). */
  replyRaw(message: PhoenixMessage, status: 'ok' | 'error', response: Record<string, unknown> | string): void;
  send(frame: string | Buffer): void;
  /** Ends a channel quietly (left, replaced, or the socket closed). */
  leave(channel: Channel): void;
  /** Closes the WebSocket from the server side. */
  close(code: number, reason: string): void;
}
