// GoTrue's per-IP request limits: a token bucket per client address that holds `limit` requests and
// refills `limit` per 5 minutes (tollbooth with rate limit/300 s and burst limit, as GoTrue sets it up).
// Over the limit: 429 over_request_rate_limit until a token has refilled.

const WINDOW_MS = 5 * 60_000;
/** Buckets untouched this long are full again and are dropped. */
const IDLE_MS = 60 * 60_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private takes = 0;

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from `key`'s bucket; false when it is empty. */
  take(key: string): boolean {
    const now = this.now();
    if (++this.takes % 1000 === 0) this.prune(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.limit, at: now };
    bucket.tokens = Math.min(this.limit, bucket.tokens + ((now - bucket.at) * this.limit) / WINDOW_MS);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.at > IDLE_MS) this.buckets.delete(key);
  }
}
