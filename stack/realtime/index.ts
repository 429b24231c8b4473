// Local Supabase Realtime: the Phoenix protocol realtime-js 2.x speaks, postgres_changes from the WAL of the
// `supabase_realtime` publication (pgoutput, one stream per server) with a per-subscriber RLS re-check,
// broadcast between clients. The gateway routes `/realtime/v1/websocket` upgrades to `handleUpgrade`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import type { ServiceRequest } from '../gateway/index.ts';
import { WebSocketServer } from 'ws';
import { hs256Keys, verifyAccessToken, type AccessClaims, type JwtKeys } from '../keys.ts';
import { authorizeBroadcastWrite, authorizePrivateTopic, joinReadPolicies } from './authorize.ts';
import { handleRealtimeHttp } from './http-broadcast.ts';
import { PresenceHub } from './presence.ts';
import { Connection } from './connection.ts';
import { TypeCatalog } from './decode.ts';
import { Dispatcher } from './dispatcher.ts';
import { FREE_PLAN_LIMITS, TenantLimits, type RealtimeLimits } from './limits.ts';
import { silentLogger, type Logger } from './logger.ts';
import { ColumnPrivileges } from './privileges.ts';
import { ProtocolError, parseVsn, type Vsn } from './protocol.ts';
import { ReplicationStream } from './replication.ts';
import { RlsChecker } from './rls.ts';
import { TopicHub, type ServerContext } from './server-context.ts';

export type { Logger } from './logger.ts';
export type { RealtimeLimits } from './limits.ts';

export interface RealtimeServerOptions {
  /** Superuser (or replication-capable) connection string of the project database. */
  databaseUrl: string;
  /** Verifies API keys and access tokens; the legacy local secret (HS256) when absent. */
  jwtKeys?: JwtKeys;
  logger?: Logger;
  /** Sockets that send no heartbeat for this long are closed. Default 60 s. */
  heartbeatTimeoutMs?: number;
  /** Publication to stream. Default `supabase_realtime`. */
  publication?: string;
  /** Realtime's quotas; default the Free plan's (limits.ts). */
  limits?: Partial<RealtimeLimits>;
}

export interface RealtimeServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** HTTP requests below `/realtime/v1` (`path` without that prefix): the REST broadcast API. */
  handleHttp(request: ServiceRequest): Promise<void>;
  close(): Promise<void>;
  /** Drops every client socket from the server side (clients reconnect and rejoin). For tests. */
  dropConnections(): number;
  /** Sockets currently open. */
  connectionCount(): number;
  /** Whether the WAL stream is running (false while it reconnects after a database restart). */
  isStreaming(): boolean;
  /** Called with 'down' when the WAL stream breaks and 'streaming' when it runs again; returns an unsubscribe. */
  onStreamStateChange(listener: (state: 'streaming' | 'down') => void): () => void;
}

/** Realtime's endpoint `max_frame_size`: a larger frame closes the socket (1009). */
const MAX_FRAME_BYTES = 5_000_000;

export async function createRealtimeServer(options: RealtimeServerOptions): Promise<RealtimeServer> {
  const logger = options.logger ?? silentLogger;
  const jwtKeys = options.jwtKeys ?? hs256Keys();
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 4,
    // A database that hangs must not stall the RLS queue or joins forever.
    options: '-c TimeZone=UTC -c DateStyle=ISO -c statement_timeout=10s',
    connectionTimeoutMillis: 5_000,
    query_timeout: 15_000,
    application_name: 'local-realtime',
  });
  pool.on('error', (error) => logger.debug({ err: error }, 'realtime: idle database connection failed'));
  const types = new TypeCatalog(pool);
  const stream = new ReplicationStream({ databaseUrl: options.databaseUrl, pool, types, logger, publication: options.publication });
  try {
    await stream.start();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(`realtime: cannot stream the WAL (is wal_level=logical?): ${(error as Error).message}`, { cause: error });
  }
  const limits = new TenantLimits({ ...FREE_PLAN_LIMITS, ...options.limits });
  // MessageDispatcher: every broadcast delivered counts; once the project is over its rate, the channel it reached
  // is shut down ("Too many messages per second"), as RealtimeChannel's :update_rate_counter does.
  const topics = new TopicHub((channel) => {
    limits.events.add();
    if (limits.events.triggered) channel.transport.shutdown(channel, 'Too many messages per second');
  });
  const dispatcher = new Dispatcher(new RlsChecker(pool, types, logger), new ColumnPrivileges(pool), logger,
    (record) => topics.deliverMessage(record));
  stream.on('transaction', (transaction) => dispatcher.dispatch(transaction));

  const ctx: ServerContext = {
    jwtKeys,
    pool,
    dispatcher,
    stream,
    logger,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 60_000,
    topics,
    connections: new Set(),
    authorizePrivate: (topic, claims, extension) => authorizePrivateTopic(pool, logger, topic, claims, extension),
    readPolicies: (topic, claims, presenceEnabled) => joinReadPolicies(pool, logger, topic, claims, presenceEnabled),
    authorizeBroadcastWrite: (subTopic, claims, extension) => authorizeBroadcastWrite(pool, logger, subTopic, claims, extension),
    presence: new PresenceHub(topics, (n) => limits.presenceEvents.add(n)),
    limits,
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  let closing = false;

  async function accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let vsn: Vsn;
    try {
      vsn = parseVsn(url.searchParams.get('vsn'));
    } catch (error) {
      return reject(socket, 400, (error as ProtocolError).message);
    }
    const apikey = url.searchParams.get('apikey') ?? headerValue(req.headers.apikey);
    let claims: AccessClaims;
    try {
      claims = await verifyAccessToken(apikey, jwtKeys);
    } catch (error) {
      return reject(socket, 403, (error as Error).message);
    }
    if (closing || socket.destroyed) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      ctx.connections.add(new Connection(ws, vsn, claims, apikey!, ctx));
    });
  }

  return {
    handleUpgrade(req, socket, head) {
      if (closing) return void socket.destroy();
      accept(req, socket, head).catch((error: unknown) => {
        logger.error({ err: error }, 'realtime: upgrade failed');
        socket.destroy();
      });
    },
    handleHttp(request) {
      return handleRealtimeHttp(ctx, request);
    },
    dropConnections() {
      const all = [...ctx.connections];
      for (const connection of all) connection.terminate();
      return all.length;
    },
    connectionCount() {
      return ctx.connections.size;
    },
    isStreaming() {
      return stream.ready;
    },
    onStreamStateChange(listener) {
      const ready = () => listener('streaming');
      const down = () => listener('down');
      stream.on('ready', ready);
      stream.on('down', down);
      return () => {
        stream.off('ready', ready);
        stream.off('down', down);
      };
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const connection of [...ctx.connections]) connection.terminate();
      wss.close();
      await stream.close();
      await pool.end().catch(() => {});
    },
  };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

function reject(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Forbidden'}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
