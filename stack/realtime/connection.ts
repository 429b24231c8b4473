// One WebSocket client: Phoenix frames in, replies and pushes out. Frames are handled one at a time (a
// join's catalog checks finish before the next frame), so a join, a token refresh and a leave never race.
import { decodeJwt } from 'jose';
import type { WebSocket } from 'ws';
import { InvalidJwtError, verifyAccessToken, type AccessClaims } from '../keys.ts';
import { BindingError, parseBindings, resolveBindings, type PgBinding } from './bindings.ts';
import { Channel, type ChannelTransport } from './channel.ts';
import { ClientPresenceWindow, joinRefusal } from './limits.ts';
import {
  ProtocolError, decodeFrame, encodeBinaryBroadcast, encodeFrame, encodeFrameWithRawPayload, isObject,
  type PhoenixMessage, type Vsn,
} from './protocol.ts';
import { loadReplay, replayRequest, type ReplayedMessage } from './replay.ts';
import type { ServerContext } from './server-context.ts';

const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export class Connection implements ChannelTransport {
  private readonly channels = new Map<string, Channel>();
  private chain: Promise<void> = Promise.resolve();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly vsn: Vsn,
    private readonly apikeyClaims: AccessClaims,
    private readonly apikey: string,
    private readonly ctx: ServerContext,
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
    if (message.event === 'phx_join') return this.join(message);
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
        return this.refreshToken(channel, message);
      case 'broadcast':
        return this.broadcast(channel, message);
      case 'presence':
        return this.presence(channel, message);
      default:
        this.reply(message, 'error', { reason: `unknown event ${message.event}` });
    }
  }

  private async join(message: PhoenixMessage): Promise<void> {
    const { payload } = message;
    const config = isObject(payload.config) ? payload.config : {};
    const previous = this.channels.get(message.topic);
    if (previous) {
      this.leave(previous);
      this.send(encodeFrame({ joinRef: previous.joinRef, ref: null, topic: previous.topic, event: 'phx_close', payload: {} }, this.vsn));
    }
    const refusal = joinRefusal(this.ctx.limits, this, this.channels.size);
    if (refusal) {
      this.reply(message, 'error', { reason: refusal.reason });
      if (refusal.disconnect) this.ws.close(1000, 'disconnect');
      return;
    }
    const token = typeof payload.access_token === 'string' && payload.access_token !== '' ? payload.access_token : this.apikey;
    let claims: AccessClaims;
    try {
      claims = token === this.apikey ? this.apikeyClaims : await verifyAccessToken(token, this.ctx.jwtKeys);
    } catch (error) {
      this.reply(message, 'error', { reason: describeTokenError(error, token) });
      return;
    }
    let bindings;
    try {
      bindings = parseBindings(config.postgres_changes);
    } catch (error) {
      if (!(error instanceof BindingError)) throw error;
      this.reply(message, 'error', { reason: error.message });
      return;
    }
    const presence = isObject(config.presence) ? config.presence : {};
    // maybe_assign_policies: a private channel may be joined when its broadcast or (presence enabled) presence may be read.
    const read = config.private === true ? await this.ctx.readPolicies(message.topic, claims, presence.enabled === true) : null;
    if (read && !read.broadcast && !read.presence) {
      return this.reply(message, 'error', { reason: `Unauthorized: ${noReadPermission(message.topic)}` });
    }
    const replay = replayRequest(config, config.private === true);
    if (replay && 'error' in replay) return this.reply(message, 'error', { reason: replay.error });
    let replayed: ReplayedMessage[] = [];
    if (replay) {
      try {
        replayed = await loadReplay(this.ctx.pool, message.topic.replace(/^realtime:/, ''), replay.since, replay.limit);
      } catch (error) {
        this.ctx.logger.warn({ err: error }, 'realtime: replay query failed');
        return this.reply(message, 'error', { reason: 'UnableToReplayMessages: Realtime was unable to replay messages' });
      }
    }
    const broadcast = isObject(config.broadcast) ? config.broadcast : {};
    const channel = new Channel(message.topic, message.joinRef, claims, broadcast.self === true, broadcast.ack === true, config.private === true, this);
    if (read) [channel.broadcastRead, channel.presenceRead] = [read.broadcast, read.presence];
    if (typeof presence.key === 'string' && presence.key !== '') channel.presenceKey = presence.key;
    channel.presenceWindow = new ClientPresenceWindow(this.ctx.limits.config.clientPresenceMaxCalls, this.ctx.limits.config.clientPresenceWindowMs);
    this.channels.set(message.topic, channel);
    this.ctx.limits.users.add(this);
    this.ctx.topics.join(channel);

    let bindingError: string | null = null;
    let infrastructureError = false;
    if (bindings.length > 0) {
      try {
        await resolveBindings(this.ctx.pool, claims.role, bindings);
        if (channel.closed) return; // left or disconnected meanwhile: never index a dead channel
        channel.bindings = bindings;
        this.ctx.dispatcher.add(channel);
      } catch (error) {
        if (error instanceof BindingError) bindingError = error.message;
        else infrastructureError = true; // database unreachable (restart): retried below
      }
    }
    const response = Array.isArray(config.postgres_changes)
      ? { postgres_changes: bindings.map((binding) => ({ ...binding.params, id: binding.id })) }
      : {};
    if (channel.closed) return;
    this.reply(message, 'ok', response);
    channel.replayedIds = new Set(replayed.map((m) => m.id));
    for (const m of replayed) this.sendBroadcast(channel, { type: 'broadcast', event: m.event, payload: m.payload, meta: { replayed: true, id: m.id } });
    // PresenceHandler.sync after the join: the current state, when presence is enabled and may be read.
    if (presence.enabled === true && (!channel.isPrivate || channel.presenceRead)) channel.push('presence_state', this.ctx.presence.state(channel));
    // config.broadcast.replication_ready: a system message once the database's change stream runs (Realtime's :notify_replication_ready).
    if (broadcast.replication_ready) void this.ctx.stream.waitReady().then(() => channel.push('system', { message: 'Replication connection established', status: 'ok', extension: 'system', channel: channel.name }));
    if (bindings.length === 0) return;
    if (bindingError !== null) {
      channel.rejectedBindings = bindings;
      channel.push('system', { message: bindingError, status: 'error', extension: 'postgres_changes', channel: channel.name });
      return;
    }
    if (infrastructureError) {
      void this.subscribeWhenPossible(channel, bindings);
      return;
    }
    void this.ctx.stream.waitReady().then(() => this.confirmSubscribed(channel));
  }

  /** Realtime keeps retrying a postgres_changes subscription the database could not take; so do we. */
  private async subscribeWhenPossible(channel: Channel, bindings: PgBinding[]): Promise<void> {
    for (let attempt = 0; !channel.closed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * 2 ** attempt)));
      await this.ctx.stream.waitReady();
      if (channel.closed) return;
      try {
        await resolveBindings(this.ctx.pool, channel.role, bindings);
      } catch (error) {
        if (!(error instanceof BindingError)) continue;
        channel.push('system', { message: error.message, status: 'error', extension: 'postgres_changes', channel: channel.name });
        return;
      }
      if (channel.closed) return;
      channel.bindings = bindings;
      this.ctx.dispatcher.add(channel);
      this.confirmSubscribed(channel);
      return;
    }
  }

  private confirmSubscribed(channel: Channel): void {
    channel.push('system', { message: 'Subscribed to PostgreSQL', status: 'ok', extension: 'postgres_changes', channel: channel.name });
  }

  private leave(channel: Channel): void {
    channel.close();
    this.ctx.presence.untrack(channel);
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    this.ctx.dispatcher.remove(channel);
    this.ctx.topics.leave(channel);
  }

  private async refreshToken(channel: Channel, message: PhoenixMessage): Promise<void> {
    const token = message.payload.access_token;
    // Realtime ignores an API key (`sb_…`) sent as access_token: the channel keeps the claims it has.
    if (typeof token !== 'string' || token === '' || token.startsWith('sb_')) return;
    let claims: AccessClaims;
    try {
      claims = await verifyAccessToken(token, this.ctx.jwtKeys);
    } catch (error) {
      return this.shutdown(channel, describeTokenError(error, token));
    }
    channel.updateClaims(claims);
    if (channel.isPrivate) {
      // The new token's read policies (maybe_assign_policies again): none, or one granted before and no longer, ends the channel.
      const read = await this.ctx.readPolicies(channel.topic, claims, channel.presenceRead !== null);
      if (channel.closed) return;
      if (!read.broadcast && !read.presence) return this.shutdown(channel, noReadPermission(channel.topic));
      if ((channel.broadcastRead && !read.broadcast) || (channel.presenceRead === true && read.presence === false)) {
        return this.shutdown(channel, `You no longer have permission to read from this Channel topic: ${channel.name}`);
      }
      [channel.broadcastRead, channel.presenceRead] = [read.broadcast, read.presence];
    }
    // A join sent before the client knew its user token (supabase-js' accessToken callback resolves after the
    // first join) ran with the apikey's claims; with the user's claims the bindings may now be fine.
    const rejected = channel.rejectedBindings;
    if (!rejected) return;
    try {
      await resolveBindings(this.ctx.pool, channel.role, rejected);
    } catch {
      return;
    }
    if (channel.closed) return;
    channel.rejectedBindings = null;
    channel.bindings = rejected;
    this.ctx.dispatcher.add(channel);
    await this.ctx.stream.waitReady();
    this.confirmSubscribed(channel);
  }

  /**
   * Realtime's BroadcastHandler: on a private channel only claims the `realtime.messages` insert policies allow may
   * send (checked once per channel and token); a refused message is dropped without a reply, as Realtime drops it.
   */
  private async broadcast(channel: Channel, message: PhoenixMessage): Promise<void> {
    const { payload } = message;
    if (typeof payload.event !== 'string') {
      this.reply(message, 'error', { reason: 'broadcast needs an event' });
      return;
    }
    if (channel.isPrivate) {
      channel.broadcastWrite ??= await this.ctx.authorizeBroadcastWrite(channel.name, JSON.parse(channel.claimsJson) as AccessClaims);
      if (!channel.broadcastWrite || channel.closed) return;
    }
    this.ctx.limits.events.add();
    // Tenants.validate_payload_size: over the limit nothing is sent; only an ack'ing channel hears why.
    if (this.ctx.limits.payloadTooLarge(payload.payload instanceof Uint8Array ? payload.payload : payload)) {
      if (channel.broadcastAck) this.replyRaw(message, 'error', 'payload_size_exceeded');
      return;
    }
    const outgoing = { type: 'broadcast', event: payload.event, payload: payload.payload ?? {} } as Record<string, unknown>;
    if (isObject(payload.meta)) outgoing.meta = payload.meta;
    this.ctx.topics.broadcast(channel.topic, channel.isPrivate, outgoing, channel.broadcastSelf ? undefined : channel);
    if (channel.broadcastAck) this.reply(message, 'ok', {});
  }

  /**
   * PresenceHandler: `track` {payload} and `untrack`. On a private channel tracking needs the presence insert
   * policies (and reading them the select policies, checked here when the join did not enable presence).
   */
  private async presence(channel: Channel, message: PhoenixMessage): Promise<void> {
    const { payload } = message;
    if (!channel.presenceWindow.allow()) return this.shutdown(channel, 'Client presence rate limit exceeded');
    const event = typeof payload.event === 'string' ? payload.event.toLowerCase() : '';
    if (event === 'untrack') {
      this.ctx.presence.untrack(channel);
      this.reply(message, 'ok', {});
      return;
    }
    if (payload.event === undefined) return this.reply(message, 'ok', {}); // PresenceHandler.handle(_, _, socket)
    if (event !== 'track') return this.reply(message, 'error', {}); // :unknown_presence_event
    const tracked = payload.payload ?? {};
    if (!isObject(tracked)) return this.reply(message, 'error', { reason: 'Presence track payload must be a map' });
    if (channel.isPrivate) {
      const claims = JSON.parse(channel.claimsJson) as AccessClaims;
      channel.presenceRead ??= await this.ctx.authorizePrivate(channel.topic, claims, 'presence');
      channel.presenceWrite ??= await this.ctx.authorizeBroadcastWrite(channel.name, claims, 'presence');
      if (channel.closed) return;
      if (!channel.presenceWrite) return this.reply(message, 'error', {}); // {:error, :unauthorized} -> {:reply, :error, socket}
    }
    if (!this.ctx.presence.isUnchanged(channel, channel.presenceKey, tracked)) {
      if (this.ctx.limits.payloadTooLarge(tracked)) return this.shutdown(channel, 'Track message size exceeded');
      if (this.ctx.limits.presenceEvents.avg > this.ctx.limits.config.maxPresenceEventsPerSecond) {
        return this.shutdown(channel, 'Too many presence messages per second');
      }
    }
    this.ctx.presence.track(channel, channel.presenceKey, tracked);
    this.reply(message, 'ok', {});
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
      if (this.vsn === '2.0.0') this.send(encodeBinaryBroadcast(channel.topic, String(payload.event), body));
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

  // --------------------------------------------------------------------------------------------------
  private reply(message: PhoenixMessage, status: 'ok' | 'error', response: Record<string, unknown>): void {
    this.replyRaw(message, status, response);
  }

  /** Realtime replies some errors with an atom as the whole response (`{status: 'error', response: 'payload_size_exceeded'}`). */
  private replyRaw(message: PhoenixMessage, status: 'ok' | 'error', response: Record<string, unknown> | string): void {
    if (message.ref === null) return;
    this.send(encodeFrame({ joinRef: message.joinRef, ref: message.ref, topic: message.topic, event: 'phx_reply', payload: { status, response } }, this.vsn));
  }

  private send(frame: string | Buffer): void {
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

function noReadPermission(topic: string): string {
  return `You do not have permissions to read from this Channel topic: ${topic.replace(/^realtime:/, '')}`;
}

function describeTokenError(error: unknown, token: string): string {
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
