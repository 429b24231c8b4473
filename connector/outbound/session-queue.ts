// One session's outbound queue in the dispatcher: the claimed rows waiting in order, pacing state, and
// the pipeline (how many sends are on the wire awaiting WhatsApp's ack).
import type { OutboundRow } from '../store/index.ts';

/** A session's rows waiting to be sent, and when it last sent: kept while idle, so a row claimed after the
 * queue drained is still paced against the previous send. */
export class SessionQueue {
  readonly rows: OutboundRow[] = [];
  running = false;
  lastSendAt = 0;
  /** sends written to WhatsApp whose ack (and 'sent' mark) is still pending */
  unacked = 0;
  /** bumped by every failed send: a row taken before that must not go out ahead of the retried one */
  generation = 0;
  /** rows taken off `rows` and not settled yet (being prepared, or on the wire awaiting the ack) */
  inHand = 0;
  /**
   * Set when rows of this session went back to the database (a retry, lapsed claims): the session takes
   * no new claims until every row in hand has settled, else a requeued newer row could be claimed and
   * sent while an older one is still on its way back (our own live claim does not hold newer rows back).
   * `holdUntil`: a row whose write-back failed keeps our claim until it expires.
   */
  private holding = false;
  private holdUntil = 0;
  /** bumped by every hold: rows a claim returns after a hold began are given back, not sent */
  holdEpoch = 0;
  private roomWaiter: (() => void) | null = null;

  hold(untilMs = 0): void {
    if (!this.holding) this.holdEpoch += 1;
    this.holding = true;
    this.holdUntil = Math.max(this.holdUntil, untilMs);
  }

  /** Whether claims must skip this session now (the hold ends once nothing is in hand and no failed write-back is pending). */
  held(now: number): boolean {
    if (this.holding && this.inHand === 0 && now >= this.holdUntil) this.holding = false;
    return this.holding;
  }

  /** The last row in hand settled: whether that ended a hold (the session's rows may be claimed again now). */
  holdEnded(now: number): boolean {
    return this.holding && !this.held(now);
  }

  room(): Promise<void> {
    return new Promise((resolve) => (this.roomWaiter = resolve));
  }

  acked(): void {
    this.unacked -= 1;
    const waiter = this.roomWaiter;
    this.roomWaiter = null;
    waiter?.();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sendMessage timed out after ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Tries `write` again every 250 ms until it succeeds, `until` passes or `stopped()`; then its error. */
export async function untilWritten<T>(write: () => Promise<T>, until: number, stopped: () => boolean, onError: (error: unknown) => void): Promise<T> {
  for (;;) {
    try {
      return await write();
    } catch (error) {
      if (stopped() || Date.now() >= until) throw error;
      onError(error);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
