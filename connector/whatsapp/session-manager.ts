// The live SessionConnections of this connector, keyed by session id. Opens sessions (new links and
// resumes with bounded concurrency) and closes them for commands, lease loss and shutdown.
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
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
      await conn.shutdown();
      throw error;
    }
    return conn;
  }

  /** Takes the leases of wanted sessions nobody holds (start, dead connectors) and opens them, N at a time. */
  async resumeWanted(): Promise<number> {
    const room = this.config.maxSessions - this.conns.size;
    const rows = await this.store.sessions.claimWanted(this.config.connectorId, this.config.lease.ttlMs, room);
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        const link: LinkRequest | null = row.link_method === 'pairing_code' && row.pairing_phone
          ? { method: 'pairing_code', phone: row.pairing_phone } : { method: 'qr' };
        try {
          const conn = await this.open(row, row.lease_epoch, link);
          await conn.settled(this.config.lifecycle.connectTimeoutMs);
        } catch {
          // logged in open()
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.resumeConcurrency, rows.length) }, worker));
    if (rows.length) this.logger.info({ resumed: rows.length }, 'resumed sessions');
    return rows.length;
  }

  async shutdownAll(): Promise<void> {
    await Promise.all(this.all().map((c) => c.shutdown().catch(() => {})));
  }
}
