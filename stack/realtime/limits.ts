// Realtime's quotas (supabase.com/docs/guides/realtime/quotas; realtime: RealtimeChannel.join/3 limit_* ,
// BroadcastHandler, PresenceHandler, BatchBroadcast, Realtime.RateCounter), so a client over one gets here the
// error Supabase sends. Defaults are the Free plan's (the strictest: what passes here passes on every plan);
// `limits` on createRealtimeServer / startStack({ realtimeLimits }) sets a plan's numbers.

export interface RealtimeLimits {
  /** Sockets with a joined channel, per project ("Concurrent connections"). */
  maxConcurrentUsers: number;
  /** Messages per second, per project: broadcasts sent and delivered, REST broadcasts ("Messages per second"). */
  maxEventsPerSecond: number;
  /** Channel joins per second, per project. */
  maxJoinsPerSecond: number;
  /** Channels one socket may have joined at once. */
  maxChannelsPerClient: number;
  /** presence_diff deliveries per second, per project ("Presence messages per second"). */
  maxPresenceEventsPerSecond: number;
  /** Broadcast / presence payload limit in KB (Realtime compares the payload's size with KB × 1000 + 500 bytes). */
  maxPayloadSizeKb: number;
  /** Presence calls (track/untrack) one channel may make per window (Realtime's client_presence_rate_limit). */
  clientPresenceMaxCalls: number;
  clientPresenceWindowMs: number;
  /** Realtime.RateCounter: a count per tick, the average over the last 12 ticks. Realtime ticks every 5 s. */
  rateTickMs: number;
}

export const FREE_PLAN_LIMITS: RealtimeLimits = {
  maxConcurrentUsers: 200,
  maxEventsPerSecond: 100,
  maxJoinsPerSecond: 100,
  maxChannelsPerClient: 100,
  maxPresenceEventsPerSecond: 20,
  maxPayloadSizeKb: 256,
  clientPresenceMaxCalls: 5,
  clientPresenceWindowMs: 30_000,
  rateTickMs: 5_000,
};

const MAX_BUCKETS = 12;

/**
 * Realtime.RateCounter, evaluated lazily: each tick closes a bucket; `avg` is the events per second over the
 * last 12 buckets; the limit triggers when avg reaches it and releases when avg falls below.
 */
export class RateCounter {
  private count = 0;
  private readonly buckets: number[] = [];
  private nextTick: number;
  private average = 0;
  private isTriggered = false;

  constructor(private readonly limit: number, private readonly tickMs: number, private readonly now: () => number = Date.now) {
    this.nextTick = now() + tickMs;
  }

  add(n = 1): void {
    this.roll();
    this.count += n;
  }

  get avg(): number {
    this.roll();
    return this.average;
  }

  get triggered(): boolean {
    this.roll();
    return this.isTriggered;
  }

  private roll(): void {
    const now = this.now();
    if (now < this.nextTick) return;
    const ticks = Math.floor((now - this.nextTick) / this.tickMs) + 1;
    for (let i = 0; i < Math.min(ticks, MAX_BUCKETS + 1); i++) {
      this.buckets.unshift(this.count);
      this.count = 0;
      if (this.buckets.length > MAX_BUCKETS) this.buckets.pop();
      const sum = this.buckets.reduce((a, b) => a + b, 0);
      this.average = sum / this.buckets.length / (this.tickMs / 1000);
      this.isTriggered = this.average >= this.limit;
    }
    this.nextTick += ticks * this.tickMs;
  }
}

/** The project-wide counters one realtime server keeps (one tenant). */
export class TenantLimits {
  readonly events: RateCounter;
  readonly joins: RateCounter;
  readonly presenceEvents: RateCounter;
  /** Sockets counted as connected users (UsersCounter: added on their first join, removed when they close). */
  readonly users = new Set<object>();

  constructor(readonly config: RealtimeLimits) {
    this.events = new RateCounter(config.maxEventsPerSecond, config.rateTickMs);
    this.joins = new RateCounter(config.maxJoinsPerSecond, config.rateTickMs);
    this.presenceEvents = new RateCounter(config.maxPresenceEventsPerSecond, config.rateTickMs);
  }

  /** Tenants.validate_payload_size: measured here on the JSON text (Realtime: :erlang.external_size of the term). */
  payloadTooLarge(payload: unknown): boolean {
    const size = payload instanceof Uint8Array ? payload.byteLength : Buffer.byteLength(JSON.stringify(payload) ?? '');
    return size > this.config.maxPayloadSizeKb * 1000 + 500;
  }
}

/** PresenceHandler's per-channel window: `maxCalls` presence calls per `windowMs`. */
export class ClientPresenceWindow {
  private counter = 0;
  private resetAt: number | null = null;

  constructor(private readonly maxCalls: number, private readonly windowMs: number) {}

  /** false when this call is over the limit (Realtime then shuts the channel down). */
  allow(now = Date.now()): boolean {
    if (this.resetAt === null || now > this.resetAt) {
      this.counter = 1;
      this.resetAt = now + this.windowMs;
      return true;
    }
    if (this.counter >= this.maxCalls) return false;
    this.counter++;
    return true;
  }
}

/**
 * RealtimeChannel.join/3's checks, in its order (limit_max_users, limit_joins, limit_channels): the reason of the
 * error reply, and whether Realtime also disconnects the socket (too many joins). null: the join may go on.
 */
export function joinRefusal(limits: TenantLimits, socket: object, joinedChannels: number): { reason: string; disconnect: boolean } | null {
  if (!limits.users.has(socket) && limits.users.size >= limits.config.maxConcurrentUsers) {
    return { reason: 'ConnectionRateLimitReached: Too many connected users', disconnect: false };
  }
  if (limits.joins.triggered) return { reason: 'ClientJoinRateLimitReached: Too many joins per second', disconnect: true };
  limits.joins.add();
  if (joinedChannels >= limits.config.maxChannelsPerClient) return { reason: 'ChannelRateLimitReached: Too many channels', disconnect: false };
  return null;
}
