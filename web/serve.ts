// Builds the web app (vite build) and serves it: static files from web/dist, the runtime config at
// /config.js and /config.json ({ supabaseUrl, supabasePublishableKey }), and index.html for client routes.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));
export const DEFAULT_DIST_DIR = join(WEB_ROOT, 'dist');

export interface BuildWebAppOptions {
  /** Output directory; defaults to web/dist. Tests pass their own so parallel builds never collide. */
  outDir?: string;
  /** Vite log level; defaults to 'warn'. */
  logLevel?: 'info' | 'warn' | 'error' | 'silent';
}

/** Runs `vite build` with web/vite.config.ts and returns the output directory. */
export async function buildWebApp(options: BuildWebAppOptions = {}): Promise<{ distDir: string }> {
  const { build } = await import('vite');
  const distDir = resolve(options.outDir ?? DEFAULT_DIST_DIR);
  await build({
    configFile: join(WEB_ROOT, 'vite.config.ts'),
    root: WEB_ROOT,
    logLevel: options.logLevel ?? 'warn',
    build: { outDir: distDir, emptyOutDir: true },
  });
  return { distDir };
}

export interface ServeWebAppOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  supabaseUrl: string;
  supabasePublishableKey: string;
  /** Built app; defaults to web/dist (run buildWebApp() first). */
  distDir?: string;
}

export interface WebAppServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export async function serveWebApp(options: ServeWebAppOptions): Promise<WebAppServer> {
  if (!options.supabaseUrl) throw new Error('serveWebApp: supabaseUrl is required');
  if (!options.supabasePublishableKey) throw new Error('serveWebApp: supabasePublishableKey is required');
  const distDir = resolve(options.distDir ?? DEFAULT_DIST_DIR);
  const indexPath = join(distDir, 'index.html');
  const indexStat = await stat(indexPath).catch(() => null);
  if (!indexStat?.isFile()) throw new Error(`serveWebApp: ${indexPath} is missing; run buildWebApp() first`);

  const config = Object.freeze({ supabaseUrl: options.supabaseUrl, supabasePublishableKey: options.supabasePublishableKey });
  const configJson = JSON.stringify(config);
  const configJs = `window.__WL_CONFIG__ = Object.freeze(${configJson});\n`;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal error');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...securityHeaders }).end();
      return;
    }
    const pathname = decodePath(req.url ?? '/');
    if (pathname === null) {
      res.writeHead(400, securityHeaders).end();
      return;
    }
    if (pathname === '/config.js' || pathname === '/config.json') {
      const body = pathname === '/config.js' ? configJs : configJson;
      res.writeHead(200, { 'content-type': contentTypes[extname(pathname)], 'cache-control': 'no-store', ...securityHeaders });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const filePath = normalize(join(distDir, pathname));
    if (filePath !== distDir && !filePath.startsWith(distDir + sep)) {
      res.writeHead(404, securityHeaders).end();
      return;
    }
    const fileStat = await stat(filePath).catch(() => null);
    if (fileStat?.isFile()) {
      const immutable = pathname.startsWith('/assets/');
      sendFile(req, res, filePath, fileStat.size, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return;
    }
    // Missing assets are real 404s; any other path is a client route: serve the app shell.
    if (extname(pathname) !== '' && extname(pathname) !== '.html') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...securityHeaders }).end('Not found');
      return;
    }
    const shell = await stat(indexPath);
    sendFile(req, res, indexPath, shell.size, 'no-cache');
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

function decodePath(url: string): string | null {
  try {
    const pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname);
    return pathname.includes('\0') ? null : pathname;
  } catch {
    return null;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, filePath: string, size: number, cacheControl: string) {
  res.writeHead(200, {
    'content-type': contentTypes[extname(filePath)] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': cacheControl,
    ...securityHeaders,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(filePath).pipe(res);
}
