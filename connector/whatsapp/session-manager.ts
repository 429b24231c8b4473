// The live SessionConnections of this connector, keyed by session id. Opens sessions (new links and
// resumes with bounded concurrency) and closes them for commands, lease loss and shutdown.
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import { AuthStateDecryptError } from '../auth-state/index.ts';
import type { SessionRow, Store } from '../store/index.ts';
import { installHandshakeShortcuts } from './handshake-crypto.ts';
import { SessionConnection, type ConnectionDeps, type LinkRequest } from './session-connection.ts';

export class SessionManager {
  private readonly conns = new Map<string, SessionConnection>();
  private resuming: Promise<void> | null = null;
  private inFlight = 0;
  private slotWaiters: (() => void)[] = [];
  private claiming = 0;
  private stopped = false;

  constructor(
    private readonly config: ConnectorConfig,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly connectionDeps: () => ConnectionDeps,
  ) {
    if (config.whatsapp.fastHandshake && !installHandshakeShortcuts()) {
      logger.warn('Noise handshake shortcuts failed their self-check: stock Baileys crypto (slower logins)');
    }
  }

  get(sessionId: string): SessionConnection | undefined {
    return this.conns.get(sessionId);
  }

  all(): SessionConnection[] {
    return [...this.conns.values()];
  }

  /** Connections with an open socket that have not ended. */
  openConnections(): SessionConnection[] {
    return this.all().filter((c) => c.open && !c.ended);
  }

  get size() {
    return this.conns.size;
  }

  /** Called by a connection when it ends (any reason). */
  forget(conn: SessionConnection): void {
    if (this.conns.get(conn.sessionId) === conn) this.conns.delete(conn.sessionId);
  }

  /** Opens a socket for a session whose lease we just took (epoch). */
  async open(row: SessionRow, epoch: number, link: LinkRequest | null): Promise<SessionConnection> {
    const existing = this.conns.get(row.id);
    if (existing && !existing.ended) return existing;
    const fence = { sessionId: row.id, owner: this.config.connectorId, epoch };
    if (this.stopped) {
      await this.store.sessions.releaseLease(fence).catch(() => false);
      throw new Error('the connector is stopping');
    }
    const conn = new SessionConnection(this.connectionDeps(), row, fence, link);
    this.conns.set(row.id, conn);
    try {
      await conn.start();
    } catch (error) {
      this.logger.error({ err: error, session: row.id }, 'could not start the session');
      if (error instanceof AuthStateDecryptError) {
        // Retrying cannot help: say why in the row instead of resuming it again on every sweep.
        await conn.setStatus({ status: 'failed', lastError: `credentials cannot be read: ${error.message}` }).catch(() => false);
      }
      await conn.shutdown();
      throw error;
    }
    return conn;
  }

  /**
   * Resumes wanted sessions nobody holds (start, dead connectors), at most RESUME_CONCURRENCY logins in
   * flight. One claim round trip fills every free slot (claim_wanted_sessions with a limit; SKIP LOCKED,
   * so several connector processes on one database interleave, the faster one taking more). A slot is
   * held until its login settles (open, QR, close or CONNECT_TIMEOUT_MS), so one slow login holds one slot.
   * Only as many rows as there are free slots are claimed, and each is opened at once: a claimed row never
   * waits without a socket (the lease keeper gives such leases back). The loop ends when a claim comes back
   * short (no backlog); every sweep calls this again.
   */
  kickResume(): void {
    if (this.stopped || this.resuming) return;
    this.resuming = this.resumeLoop()
      .catch((error) => this.logger.warn({ err: error }, 'resuming sessions failed; the next sweep retries'))
      .finally(() => { this.resuming = null; });
  }

  private async resumeLoop(): Promise<void> {
    while (!this.stopped) {
      const free = Math.min(this.config.resumeConcurrency - this.inFlight, this.config.maxSessions - this.conns.size - this.claiming);
      if (free <= 0) {
        if (this.inFlight === 0) return; // MAX_SESSIONS reached
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        continue;
      }
      // Claimed rows count against MAX_SESSIONS until open() has registered them (synchronously).
      this.claiming += free;
      let rows: SessionRow[] = [];
      try {
        rows = await this.store.sessions.claimWanted(this.config.connectorId, this.config.lease.ttlMs, free);
      } finally {
        this.claiming -= free;
      }
      for (const row of rows) this.resumeOne(row);
      if (rows.length < free) return;
    }
  }

  private resumeOne(row: SessionRow): void {
    const link: LinkRequest = row.link_method === 'pairing_code' && row.pairing_phone
      ? { method: 'pairing_code', phone: row.pairing_phone } : { method: 'qr' };
    this.inFlight += 1;
    void this.open(row, row.lease_epoch, link)
      .then(async (conn) => {
        await conn.settled(this.config.lifecycle.connectTimeoutMs);
        this.logger.debug({ session: row.id }, 'resumed session');
      })
      .catch(() => { /* logged in open() */ })
      .finally(() => {
        this.inFlight -= 1;
        this.slotWaiters.splice(0).forEach((wake) => wake());
      });
  }

  async shutdownAll(): Promise<void> {
    this.stopped = true;
    this.slotWaiters.splice(0).forEach((wake) => wake());
    await Promise.all(this.all().map((c) => c.shutdown().catch(() => {})));
  }
}
