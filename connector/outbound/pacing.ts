// How long a session's queue waits before its next send: at least min_interval_ms after the previous send,
// plus a random 0..jitter_ms, so a number does not send at a machine's steady rhythm. 0 = send now.
export interface Pacing {
  minIntervalMs: number;
  jitterMs: number;
}

export function paceDelay(lastSendAt: number, pacing: Pacing, now: number, random: () => number = Math.random): number {
  if (lastSendAt <= 0 || (pacing.minIntervalMs <= 0 && pacing.jitterMs <= 0)) return 0;
  return Math.max(0, lastSendAt + pacing.minIntervalMs + random() * pacing.jitterMs - now);
}
