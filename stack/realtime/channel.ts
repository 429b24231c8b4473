// One joined topic of one socket: its claims (from the join's access_token, refreshed by `access_token`
// events), its postgres_changes bindings and broadcast options. It is a dispatcher Subscriber.
import type { AccessClaims } from '../keys.ts';
import type { PgBinding } from './bindings.ts';
import type { Subscriber } from './dispatcher.ts';
import type { ClientPresenceWindow } from './limits.ts';

export interface ChannelTransport {
  sendPush(channel: Channel, event: string, payload: Record<string, unknown>): void;
  sendChange(channel: Channel, ids: number[], dataJson: string): void;
  sendBroadcast(channel: Channel, payload: Record<string, unknown>): void;
  /** The server ends the channel: system error, then phx_close (what Realtime does on an expired token). */
  shutdown(channel: Channel, message: string): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class Channel implements Subscriber {
  role: string;
  claimsJson: string;
  bindings: PgBinding[] = [];
  /** Bindings the join's claims could not subscribe; retried when an access_token brings other claims. */
  rejectedBindings: PgBinding[] | null = null;
  closed = false;
  /** Whether these claims may broadcast on this private channel; null until first checked (and after a new token). */
  broadcastWrite: boolean | null = null;
  /** On a private channel, whether broadcasts reach it (the broadcast select policies; a presence-only reader gets none). */
  broadcastRead = true;
  /** Presence: the key this channel tracks under (the join's `presence.key`, else a UUID, as Realtime does). */
  presenceKey: string = crypto.randomUUID();
  /** On a private channel, whether the claims may read / track presence (`realtime.messages` policies, extension presence). */
  presenceRead: boolean | null = null;
  presenceWrite: boolean | null = null;
  /** Ids of realtime.messages rows replayed at the join: their live delivery is skipped. */
  replayedIds: ReadonlySet<string> = new Set();
  /** Realtime's per-channel presence call limit (set by the connection on join). */
  presenceWindow!: ClientPresenceWindow;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly topic: string,
    readonly joinRef: string | null,
    claims: AccessClaims,
    readonly broadcastSelf: boolean,
    readonly broadcastAck: boolean,
    readonly isPrivate: boolean,
    readonly transport: ChannelTransport,
  ) {
    this.role = claims.role;
    this.claimsJson = JSON.stringify(claims);
    this.watchExpiry(claims);
  }

  /** The topic without the `realtime:` prefix, as Realtime names the channel in system messages. */
  get name(): string {
    return this.topic.startsWith('realtime:') ? this.topic.slice('realtime:'.length) : this.topic;
  }

  updateClaims(claims: AccessClaims): void {
    this.broadcastWrite = null;
    this.presenceWrite = null;
    this.role = claims.role;
    this.claimsJson = JSON.stringify(claims);
    this.watchExpiry(claims);
  }

  isOpen(): boolean {
    return !this.closed;
  }

  sendChange(ids: number[], dataJson: string): void {
    if (!this.closed) this.transport.sendChange(this, ids, dataJson);
  }

  push(event: string, payload: Record<string, unknown>): void {
    if (!this.closed) this.transport.sendPush(this, event, payload);
  }

  /** The postgres_changes subscription is live: Realtime's `system` "Subscribed to PostgreSQL". */
  confirmSubscribed(): void {
    this.push('system', { message: 'Subscribed to PostgreSQL', status: 'ok', extension: 'postgres_changes', channel: this.name });
  }

  close(): void {
    this.closed = true;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }

  private watchExpiry(claims: AccessClaims): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (typeof claims.exp !== 'number') return;
    const delay = claims.exp * 1000 - Date.now();
    if (delay > MAX_TIMER_MS) return; // long-lived API keys
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      if (!this.closed) this.transport.shutdown(this, 'Token has expired 0 seconds ago');
    }, Math.max(0, delay));
    this.expiryTimer.unref();
  }
}
