// The heartbeat: renews every lease this connector holds in one statement every ttl/3. A session missing
// from the answer was lost (expired and taken, released, expired by idleness): its socket closes at
// once without writing. If the database stays unreachable for a whole ttl, every socket closes: another
// connector may take the sessions over, and two sockets on one link is the 440 ping-pong.
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import type { Store } from '../store/index.ts';
import type { SessionManager } from '../whatsapp/session-manager.ts';

export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private lastRenewal = Date.now();

  constructor(
    private readonly config: ConnectorConfig,
    private readonly store: Store,
    private readonly manager: SessionManager,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const every = Math.max(100, Math.floor(this.config.lease.ttlMs / 3));
    this.timer = setInterval(() => void this.beat(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async beat(): Promise<void> {
    const owner = this.config.connectorId;
    const startedAt = Date.now();
    try {
      const held = await this.store.sessions.renewAll(owner, this.config.lease.ttlMs);
      this.lastRenewal = Date.now();
      for (const conn of this.manager.all()) {
        // A lease taken while the renewal ran is not in its answer yet.
        if (conn.startedAt < startedAt && held.get(conn.sessionId) !== conn.fence.epoch) conn.leaseLost();
      }
      for (const id of await this.store.sessions.endedElsewhere(owner)) {
        const conn = this.manager.get(id);
        if (conn) await conn.closeReplaced();
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'lease renewal failed');
      if (Date.now() - this.lastRenewal > this.config.lease.ttlMs) {
        this.logger.error('leases could not be renewed for a whole TTL: closing every socket');
        for (const conn of this.manager.all()) conn.leaseLost();
      }
    }
  }
}
