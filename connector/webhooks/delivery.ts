// Delivers the webhook outbox: claims due events (on every commit that queued one, through LISTEN, and on a
// timer for retries), POSTs each signed, and records the attempt; a failure is retried with back-off until
// the bound, then dead-lettered. Runs on its own database pool and never waits for a send, nor a send for it.
// At least once: a connector killed mid-request leaves the event claimed; the claim expires and the next
// claimer sends it again with the same webhook-id.
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import { retryDelay } from './backoff.ts';
import { sendWebhook } from './sender.ts';
import type { ClaimedEvent, WebhookStore } from './store.ts';

const HOUSEKEEPING_MS = 10 * 60_000;

export class WebhookDelivery {
  private readonly inFlight = new Set<Promise<void>>();
  private claiming: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private listener: { unlisten: () => Promise<void> } | null = null;

  constructor(
    private readonly config: ConnectorConfig['webhooks'],
    private readonly owner: string,
    private readonly store: WebhookStore,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    try {
      this.listener = await this.store.listen(() => this.ring());
    } catch (err) {
      this.logger.warn({ err }, `webhook LISTEN unavailable: events go out on the ${this.config.pollIntervalMs} ms timer`);
    }
    const poll = setInterval(() => this.ring(), this.config.pollIntervalMs);
    const housekeeping = setInterval(() => void this.housekeeping(), HOUSEKEEPING_MS);
    poll.unref();
    housekeeping.unref();
    this.timers = [poll, housekeeping];
    void this.housekeeping();
    this.ring();
  }

  /** Claims as many due events as there are free delivery slots (one claim at a time; a ring meanwhile claims again). */
  ring(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = (async () => {
      do {
        this.again = false;
        const free = this.config.concurrency - this.inFlight.size;
        if (free <= 0) return;
        let events: ClaimedEvent[];
        try {
          events = await this.store.claim(this.owner, free, this.config.claimTtlMs);
        } catch (err) {
          this.logger.warn({ err }, 'claiming webhook events failed; the next tick retries');
          return;
        }
        for (const event of events) this.track(this.deliver(event));
        if (events.length === free) this.again = true;
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.claiming = null;
    });
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.ring();
    });
  }

  private async deliver(event: ClaimedEvent): Promise<void> {
    if (this.stopped) {
      await this.store.giveBack(event.id, this.owner).catch(() => {});
      return;
    }
    const attempt = event.attempts + 1;
    const result = await sendWebhook(event.url, {
      id: event.id, type: event.event_type, occurredAt: new Date(event.occurred_at), data: event.data, secret: event.secret,
    }, { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivateEndpoints });
    const ok = result.error === null;
    const retryInMs = ok ? null : retryDelay(attempt, {
      baseMs: this.config.retryBaseMs, maxMs: this.config.retryMaxMs, maxAttempts: this.config.maxAttempts,
    });
    const log = { event: event.id, type: event.event_type, attempt, status: result.statusCode, host: new URL(event.url).host };
    try {
      const kept = await this.store.record(event.id, this.owner, { url: event.url, ...result, retryInMs });
      if (!kept) this.logger.warn(log, 'webhook claim lost before the attempt was recorded (another connector sends it again)');
      else if (ok) this.logger.debug({ ...log, ms: Math.round(result.durationMs) }, 'webhook delivered');
      else if (retryInMs === null) this.logger.warn({ ...log, error: result.error }, 'webhook dead-lettered after its last attempt');
      else this.logger.info({ ...log, error: result.error, retryInMs }, 'webhook attempt failed; retrying');
    } catch (err) {
      // The claim expires and the event is sent again (same id): at least once.
      this.logger.warn({ ...log, err }, 'recording a webhook attempt failed');
    }
  }

  private async housekeeping(): Promise<void> {
    try {
      const n = await this.store.deleteOld(this.config.retentionDays);
      if (n) this.logger.info({ events: n }, 'deleted old delivered and dead webhook events');
    } catch (err) {
      this.logger.warn({ err }, 'deleting old webhook events failed');
    }
  }

  /** Stops claiming and waits (up to graceMs) for requests in flight; unfinished ones are sent again by the next claimer. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.listener?.unlisten().catch(() => {});
    await this.claiming;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); }),
    ]);
    clearTimeout(timer);
  }
}
