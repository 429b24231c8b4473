// The live SessionConnections of this connector, keyed by session id. Opens sessions (new links and
// resumes with bounded concurrency) and closes them for commands, lease loss and shutdown.
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import { AuthStateDecryptError } from '../auth-state/index.ts';
import type { SessionRow, Store } from '../store/index.ts';
import { SessionConnection, type ConnectionDeps, type LinkRequest } from './session-connection.ts';

export class SessionManager {
  private readonly conns = new Map<string, SessionConnection>();

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
   * Takes the leases of wanted sessions nobody holds (start, dead connectors) and opens them. Claims
   * RESUME_CONCURRENCY at a time and waits for that batch to settle before the next claim, so logins
   * stay CPU-bounded and several connector processes on one database interleave (SKIP LOCKED).
   */
  async resumeWanted(): Promise<number> {
    let total = 0;
    for (;;) {
      const room = Math.min(this.config.maxSessions - this.conns.size, this.config.resumeConcurrency);
      if (room <= 0) break;
      const rows = await this.store.sessions.claimWanted(this.config.connectorId, this.config.lease.ttlMs, room);
      if (rows.length === 0) break;
      total += rows.length;
      await Promise.all(rows.map(async (row) => {
        const link: LinkRequest = row.link_method === 'pairing_code' && row.pairing_phone
          ? { method: 'pairing_code', phone: row.pairing_phone } : { method: 'qr' };
        try {
          const conn = await this.open(row, row.lease_epoch, link);
          await conn.settled(this.config.lifecycle.connectTimeoutMs);
        } catch {
          // logged in open()
        }
      }));
    }
    if (total) this.logger.info({ resumed: total }, 'resumed sessions');
    return total;
  }

  async shutdownAll(): Promise<void> {
    await Promise.all(this.all().map((c) => c.shutdown().catch(() => {})));
  }
}
