// The one HTTP server of the stack, in the role Kong plays for `supabase start`: CORS, API keys,
// body size limit, then routing by path prefix to auth, rest, storage, functions and realtime upgrades.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { applyCors, corsHeaders } from './cors.ts';
import { checkApiKey, refuseSecretKeyFromBrowser, replaceApiKeyBearer, type ApiKeys } from './api-key.ts';
import { PayloadTooLargeError, readBody, sendJson, type ServiceHandler } from './http.ts';

export interface UpgradeHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Plain HTTP below the prefix (Realtime's `/realtime/v1/api/broadcast`). */
  handleHttp: ServiceHandler;
}

export interface GatewayOptions {
  host: string;
  port: number;
  keys: ApiKeys;
  maxBodyBytes: number;
  logger: Logger;
  auth: ServiceHandler;
  rest: ServiceHandler;
  functions: ServiceHandler;
  /** /storage/v1, when the stack serves Storage. */
  storage?: ServiceHandler;
  /** Receives `/realtime/v1/websocket` upgrades and `/realtime/v1/api/…` requests (after the API key check), when Realtime runs. */
  realtime?: UpgradeHandler;
}

export interface RunningGateway {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Route {
  prefix: string;
  handler: ServiceHandler;
  /** Kong's key-auth: which paths need an API key. */
  needsApiKey: (path: string) => boolean;
  /** false: the service answers CORS itself (Edge Functions do, with their own allowed origins). */
  cors: boolean;
  /** true: Authorization reaches the service untouched (functions); else an sb_ bearer equal to the apikey is replaced. */
  keepAuthorization?: boolean;
}

// GoTrue paths that Supabase's Kong leaves open (links in e-mails, OAuth redirects, public keys).
const OPEN_AUTH_PATHS = new Set(['/verify', '/callback', '/authorize', '/.well-known/jwks.json']);

export function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const routes: Route[] = [
    { prefix: '/auth/v1', handler: options.auth, needsApiKey: (path) => !OPEN_AUTH_PATHS.has(path), cors: true },
    { prefix: '/rest/v1', handler: options.rest, needsApiKey: () => true, cors: true },
    // The edge runtime checks JWTs itself (verify_jwt); Kong's functions route has no key-auth.
    { prefix: '/functions/v1', handler: options.functions, needsApiKey: () => false, cors: false, keepAuthorization: true },
  ];
  // Kong's storage route has no key-auth either: public and signed URLs work without a key, and
  // Storage verifies the Authorization JWT itself.
  if (options.storage) routes.push({ prefix: '/storage/v1', handler: options.storage, needsApiKey: () => false, cors: true });
  // Kong's realtime-v1-rest route (key-auth, CORS): the REST broadcast API.
  if (options.realtime) routes.push({ prefix: '/realtime/v1', handler: options.realtime.handleHttp, needsApiKey: () => true, cors: true });
  const log = options.logger;

  const server = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      log.error({ err: error, method: req.method, url: req.url }, 'gateway: unhandled error');
      if (!res.headersSent) sendJson(res, 500, { message: 'An unexpected error occurred' });
      else res.destroy();
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.local');
    const route = routes.find((r) => url.pathname === r.prefix || url.pathname.startsWith(`${r.prefix}/`));
    if ((!route || route.cors) && applyCors(req, res)) return;
    if (!route) {
      sendJson(res, 404, { message: 'no Route matched with those values' });
      return;
    }
    const path = url.pathname.slice(route.prefix.length) || '/';
    const check = route.needsApiKey(path) ? checkApiKey(req, url.searchParams, options.keys) : refuseSecretKeyFromBrowser(req, url.searchParams);
    if (check) {
      if (!check.ok) {
        req.resume();
        // Routes that answer CORS themselves (functions) still need it on the gateway's own refusal.
        sendJson(res, check.status, check.body, route.cors ? {} : corsHeaders(req));
        return;
      }
    }
    if (!route.keepAuthorization) replaceApiKeyBearer(req, url.searchParams, options.keys);
    try {
      await route.handler({
        req,
        res,
        path,
        query: url.searchParams,
        rawQuery: url.search.startsWith('?') ? url.search.slice(1) : url.search,
        body: () => readBody(req, options.maxBodyBytes),
      });
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        sendJson(res, 413, { message: 'Request Entity Too Large', limit_bytes: error.limit });
        return;
      }
      throw error;
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://gateway.local');
    socket.on('error', () => socket.destroy());
    if (url.pathname !== '/realtime/v1/websocket' || !options.realtime) {
      rejectUpgrade(socket, 404, { message: 'no Route matched with those values' });
      return;
    }
    const check = checkApiKey(req, url.searchParams, options.keys);
    if (!check.ok) {
      rejectUpgrade(socket, check.status, check.body);
      return;
    }
    try {
      options.realtime.handleUpgrade(req, socket, head);
    } catch (error) {
      log.error({ err: error }, 'gateway: realtime upgrade failed');
      rejectUpgrade(socket, 500, { message: 'An unexpected error occurred' });
    }
  });

  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new Error(`port ${options.port} is already in use (another npm start or supabase start?)`, { cause: error }));
      } else reject(error);
    });
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
      resolve({
        server,
        port,
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function rejectUpgrade(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const reason = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
      `connection: close\r\n\r\n${text}`,
  );
}
