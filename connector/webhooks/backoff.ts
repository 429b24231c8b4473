// Exponential back-off with jitter for webhook retries: attempt n (1-based, the one that just failed)
// waits base·2^(n-1), capped at max, then a random half of it is taken off ("equal jitter"), so receivers
// that fail together do not get their retries together.
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
}

/** Delay before the next attempt, or null when `failedAttempt` was the last one allowed (dead letter). */
export function retryDelay(failedAttempt: number, b: Backoff, random: () => number = Math.random): number | null {
  if (failedAttempt >= b.maxAttempts) return null;
  const full = Math.min(b.maxMs, b.baseMs * 2 ** (failedAttempt - 1));
  return Math.round(full / 2 + random() * (full / 2));
}
