// One WebSocket client: Phoenix frames in, replies and pushes out. Frames are handled one at a time (a
// join's catalog checks finish before the next frame), so a join, a token refresh and a leave never race.
// What each event does lives by responsibility: join.ts (phx_join), channel-token.ts (access_token),
// channel-events.ts (broadcast, presence); this file is the socket, the heartbeat and the routing.
import type { WebSocket } from 'ws';
import type { AccessClaims } from '../keys.ts';
import type { Channel } from './channel.ts';
import { handleBroadcast, handlePresence } from './channel-events.ts';
import { refreshToken } from './channel-token.ts';
import type { ConnectionHost } from './connection-host.ts';
import { joinChannel } from './join.ts';
import {
  ProtocolError, decodeFrame, encodeBinaryBroadcast, encodeFrame, encodeFrameWithRawPayload, isObject, type PhoenixMessage, type Vsn,
} from './protocol.ts';
import type { ServerContext } from './server-context.ts';

const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export class Connection implements ConnectionHost {
  readonly channels = new Map<string, Channel>();
  private chain: Promise<void> = Promise.resolve();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    readonly vsn: Vsn,
    readonly apikeyClaims: AccessClaims,
    readonly apikey: string,
    readonly ctx: ServerContext,
  ) {
    this.armHeartbeat();
    ws.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let message: PhoenixMessage;
      try {
        message = decodeFrame(buffer, isBinary, this.vsn);
      } catch (error) {
        this.rejectFrame(error);
        return;
      }
      // Heartbeats skip the queue: a join waiting on a slow database must not make the client time out.
      if (message.topic === 'phoenix') {
        if (message.event === 'heartbeat') this.armHeartbeat();
        this.reply(message, 'ok', {});
        return;
      }
      this.chain = this.chain.then(() => this.receive(message)).catch((error: unknown) => {
        ctx.logger.error({ err: error }, 'realtime: frame handling failed');
      });
    });
    ws.on('close', () => this.teardown());
    ws.on('error', () => this.teardown());
  }

  /** Drops the socket from the server side (clients reconnect and rejoin). */
  terminate(): void {
    this.ws.terminate();
    this.teardown();
  }

  private armHeartbeat(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => {
      this.ctx.logger.debug({}, 'realtime: no heartbeat within the timeout; closing the socket');
      this.ws.close(1000, 'heartbeat timeout');
      setTimeout(() => this.terminate(), 1_000).unref();
    }, this.ctx.heartbeatTimeoutMs);
    this.heartbeatTimer.unref();
  }

  private rejectFrame(error: unknown): void {
    const reason = error instanceof ProtocolError ? error.message : 'invalid frame';
    this.ctx.logger.debug({ err: error }, 'realtime: malformed frame; closing the socket');
    this.ws.close(1007, reason.slice(0, 120));
  }

  private async receive(message: PhoenixMessage): Promise<void> {
    if (this.closed) return;
    if (message.event === 'phx_join') return joinChannel(this, message);
    const channel = this.channels.get(message.topic);
    if (!channel || (message.joinRef !== null && channel.joinRef !== null && message.joinRef !== channel.joinRef)) {
      this.reply(message, 'error', { reason: 'unmatched topic' });
      return;
    }
    switch (message.event) {
      case 'phx_leave':
        this.leave(channel);
        this.reply(message, 'ok', {});
        return;
      case 'access_token':
        return refreshToken(this, channel, message);
      case 'broadcast':
        return handleBroadcast(this, channel, message);
      case 'presence':
        return handlePresence(this, channel, message);
      default:
        this.reply(message, 'error', { reason: `unknown event ${message.event}` });
    }
  }

  leave(channel: Channel): void {
    channel.close();
    this.ctx.presence.untrack(channel);
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    this.ctx.dispatcher.remove(channel);
    this.ctx.topics.leave(channel);
  }

  // ChannelTransport ---------------------------------------------------------------------------------
  sendPush(channel: Channel, event: string, payload: Record<string, unknown>): void {
    this.send(encodeFrame({ joinRef: channel.joinRef, ref: null, topic: channel.topic, event, payload }, this.vsn));
  }

  sendChange(channel: Channel, ids: number[], dataJson: string): void {
    const payload = `{"ids":${JSON.stringify(ids)},"data":${dataJson}}`;
    this.send(encodeFrameWithRawPayload(channel.joinRef, channel.topic, 'postgres_changes', payload, this.vsn));
  }

  sendBroadcast(channel: Channel, payload: Record<string, unknown>): void {
    const body = payload.payload;
    if (body instanceof Uint8Array) {
      // vsn 1.0.0 has no binary frame: Realtime does not deliver a binary payload to such a client either.
      if (this.vsn === '2.0.0') this.send(encodeBinaryBroadcast(channel.topic, String(payload.event), body, isObject(payload.meta) ? payload.meta : undefined));
      return;
    }
    this.send(encodeFrame({ joinRef: null, ref: null, topic: channel.topic, event: 'broadcast', payload }, this.vsn));
  }

  shutdown(channel: Channel, reason: string): void {
    if (channel.closed) return;
    channel.push('system', { message: reason, status: 'error', extension: 'system', channel: channel.name });
    this.send(encodeFrame({ joinRef: channel.joinRef, ref: null, topic: channel.topic, event: 'phx_close', payload: {} }, this.vsn));
    this.leave(channel);
  }

  // ConnectionHost -----------------------------------------------------------------------------------
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  reply(message: PhoenixMessage, status: 'ok' | 'error', response: Record<string, unknown>): void {
    this.replyRaw(message, status, response);
  }

  replyRaw(message: PhoenixMessage, status: 'ok' | 'error', response: Record<string, unknown> | string): void {
    if (message.ref === null) return;
    this.send(encodeFrame({ joinRef: message.joinRef, ref: message.ref, topic: message.topic, event: 'phx_reply', payload: { status, response } }, this.vsn));
  }

  send(frame: string | Buffer): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ctx.logger.warn({}, 'realtime: client is not reading; dropping its socket');
      this.terminate();
      return;
    }
    this.ws.send(frame);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    for (const channel of [...this.channels.values()]) this.leave(channel);
    this.ctx.connections.delete(this);
    this.ctx.limits.users.delete(this);
  }
}
