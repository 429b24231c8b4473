// The heartbeat: renews every lease this connector holds in one statement every ttl/3. A session missing
// from the answer was lost (expired and taken, released, expired by idleness): its socket closes at
// once without writing. If no renewal has succeeded for half a TTL (database unreachable, or the call
// hangs), every socket closes BEFORE the leases can expire: another connector may take the sessions
// over at expiry, and two sockets on one link is the 440 ping-pong. A tick that only fired late (event
// loop blocked) is not a database failure: it renews at once.
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import type { Store } from '../store/index.ts';
import type { SessionManager } from '../whatsapp/session-manager.ts';

export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  /** when the last successful renewal STARTED (the database computed the new expiry after that) */
  private lastRenewal = Date.now();
  private beating = false;
  private lastBeatFailed = false;
  /** leases renewed without a live socket at the previous beat (released at the second one) */
  private orphans = new Set<string>();

  constructor(
    private readonly config: ConnectorConfig,
    private readonly store: Store,
    private readonly manager: SessionManager,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const every = Math.max(100, Math.floor(this.config.lease.ttlMs / 3));
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const sinceRenewalMs = Date.now() - this.lastRenewal;
    if (sinceRenewalMs > this.config.lease.ttlMs / 2 && this.manager.size > 0) {
      // Only the database failing us (a renewal still pending, or the last one failed) closes the sockets. A
      // tick that merely ran late (this process starved of CPU) renews now: the leases are still ours until
      // they expire, and the renewal's answer closes any session that was lost meanwhile.
      if (this.beating || this.lastBeatFailed || sinceRenewalMs >= this.config.lease.ttlMs) {
        this.logger.error({ sinceRenewalMs, renewalPending: this.beating }, 'leases not renewed for half their TTL: closing every socket before they can expire');
        for (const conn of this.manager.all()) conn.leaseLost();
      } else {
        this.logger.warn({ sinceRenewalMs }, 'lease renewal ran late (timer delayed): renewing now');
      }
    }
    if (!this.beating) void this.beat();
  }

  async beat(): Promise<void> {
    const owner = this.config.connectorId;
    const startedAt = Date.now();
    this.beating = true;
    try {
      const held = await this.store.sessions.renewAll(owner, this.config.lease.ttlMs);
      this.lastRenewal = startedAt;
      this.lastBeatFailed = false;
      for (const conn of this.manager.all()) {
        // A lease taken while the renewal ran is not in its answer yet.
        if (conn.startedAt < startedAt && held.get(conn.sessionId) !== conn.fence.epoch) conn.leaseLost();
      }
      // Leases we hold without a socket (closed after a database stall, or a command's short fence that
      // outlived it): give them back at the second beat in a row, so a sweep can resume them.
      const orphans = new Set<string>();
      for (const [id, epoch] of held) {
        if (this.manager.get(id)) continue;
        if (this.orphans.has(id)) await this.store.sessions.releaseLease({ sessionId: id, owner, epoch });
        else orphans.add(id);
      }
      this.orphans = orphans;
      for (const id of await this.store.sessions.endedElsewhere(owner)) {
        const conn = this.manager.get(id);
        if (conn) await conn.closeReplaced();
      }
    } catch (error) {
      this.lastBeatFailed = true;
      this.logger.warn({ err: error }, 'lease renewal failed');
    } finally {
      this.beating = false;
    }
  }
}
