// The live SessionConnections of this connector, keyed by session id. Opens sessions (new links and
// resumes with bounded concurrency) and closes them for commands, lease loss and shutdown.
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import { AuthStateDecryptError } from '../auth-state/index.ts';
import type { SessionRow, Store } from '../store/index.ts';
import { SessionConnection, type ConnectionDeps, type LinkRequest } from './session-connection.ts';

export class SessionManager {
  private readonly conns = new Map<string, SessionConnection>();
  private workers = 0;
  private claiming = 0;
  private stopped = false;

  constructor(
    private readonly config: ConnectorConfig,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly connectionDeps: () => ConnectionDeps,
  ) {}

  get(sessionId: string): SessionConnection | undefined {
    return this.conns.get(sessionId);
  }

  all(): SessionConnection[] {
    return [...this.conns.values()];
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
   * Resumes wanted sessions nobody holds (start, dead connectors): up to RESUME_CONCURRENCY workers,
   * each claiming one session, waiting until its login settles, then the next. A worker that found work
   * starts another, so concurrency ramps up only when there is a backlog; one slow login holds one slot;
   * several connector processes on one database interleave (SKIP LOCKED). Called on every sweep.
   */
  kickResume(): void {
    if (this.stopped || this.workers >= this.config.resumeConcurrency) return;
    this.workers += 1;
    void this.resumeWorker()
      .catch((error) => this.logger.warn({ err: error }, 'resuming sessions failed; the next sweep retries'))
      .finally(() => { this.workers -= 1; });
  }

  private async resumeWorker(): Promise<void> {
    while (!this.stopped && this.conns.size + this.claiming < this.config.maxSessions) {
      // A claimed row counts against MAX_SESSIONS until open() has registered it (synchronously).
      this.claiming += 1;
      let row: SessionRow | undefined;
      try {
        [row] = await this.store.sessions.claimWanted(this.config.connectorId, this.config.lease.ttlMs, 1);
      } finally {
        if (!row) this.claiming -= 1;
      }
      if (!row) return;
      const link: LinkRequest = row.link_method === 'pairing_code' && row.pairing_phone
        ? { method: 'pairing_code', phone: row.pairing_phone } : { method: 'qr' };
      const opening = this.open(row, row.lease_epoch, link);
      this.claiming -= 1;
      this.kickResume();
      try {
        const conn = await opening;
        await conn.settled(this.config.lifecycle.connectTimeoutMs);
        this.logger.info({ session: row.id }, 'resumed session');
      } catch {
        // logged in open()
      }
    }
  }

  async shutdownAll(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.all().map((c) => c.shutdown().catch(() => {})));
  }
}
