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
  private roomWaiter: (() => void) | null = null;

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

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sendMessage timed out after ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
