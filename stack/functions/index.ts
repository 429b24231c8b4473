// /functions/v1/<name>/…: the project's Edge Functions under the real Deno runtime. Requests are
// proxied, streamed both ways, with the path `/<name>/…` preserved (Hono basePath('/<name>')).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import type { Logger } from 'pino';
import { decodeProtectedHeader } from 'jose';
import { InvalidJwtError, verifyJwtClaims, type JwtKeys } from '../keys.ts';
import { bearerToken, corsHeaders, headerValue, sendJson, type ServiceHandler, type ServiceRequest } from '../gateway/index.ts';
import { readEnvFile, readFunctionsConfig, type FunctionConfig } from './config.ts';
import { DenoFunctionProcess } from './deno-process.ts';

export interface FunctionsServiceOptions {
  /** Folder holding `<name>/index.ts` (supabase/functions). */
  functionsDir: string;
  /** supabase/config.toml, for `[functions.<name>] verify_jwt`. */
  configPath: string;
  denoPath: string;
  /** DENO_DIR unless the environment sets one (the npm package cache). */
  denoDir: string;
  /** verify_jwt: the stack's signing keys (ES256 by kid) and legacy secret (HS256). */
  jwtKeys: JwtKeys;
  /** The environment Supabase injects (SUPABASE_URL, keys, DB URL); read when a function starts. */
  supabaseEnv: () => Record<string, string>;
  /** Extra environment for every function (after functions/.env). */
  extraEnv?: Record<string, string>;
  logger: Logger;
  /** Request bodies above this many bytes get 413 (checked while streaming). */
  maxBodyBytes: number;
  bootTimeoutMs?: number;
}

export interface FunctionsService {
  handle: ServiceHandler;
  /** Starts every function now instead of on its first request. */
  startAll(): Promise<void>;
  names(): string[];
  stop(): Promise<void>;
}

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

export async function createFunctionsService(options: FunctionsServiceOptions): Promise<FunctionsService> {
  const configs = await readFunctionsConfig(options.configPath);
  const fileEnv = await readEnvFile(join(options.functionsDir, '.env'));
  const processes = new Map<string, DenoFunctionProcess>();
  const log = options.logger;

  function listFunctions(): string[] {
    if (!existsSync(options.functionsDir)) return [];
    return readdirSync(options.functionsDir).filter((name) => {
      if (!NAME_PATTERN.test(name)) return false; // `_shared` and friends are not functions
      const dir = join(options.functionsDir, name);
      return statSync(dir).isDirectory() && existsSync(entrypointOf(name, configs.get(name)));
    });
  }

  function entrypointOf(name: string, config: FunctionConfig | undefined): string {
    const supabaseDir = resolve(options.configPath, '..');
    return config?.entrypoint ? resolve(supabaseDir, config.entrypoint) : join(options.functionsDir, name, 'index.ts');
  }

  function processFor(name: string): DenoFunctionProcess {
    let proc = processes.get(name);
    if (!proc) {
      const config = configs.get(name);
      const dir = join(options.functionsDir, name);
      const denoJson = ['deno.json', 'deno.jsonc'].map((f) => join(dir, f)).find((f) => existsSync(f));
      const supabaseDir = resolve(options.configPath, '..');
      const hostEnv = Object.fromEntries(
        Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('SUPABASE_') && k !== 'DATABASE_URL'),
      ) as Record<string, string>;
      proc = new DenoFunctionProcess({
        name,
        denoPath: options.denoPath,
        entrypoint: entrypointOf(name, config),
        configFile: config?.importMap ? resolve(supabaseDir, config.importMap) : denoJson,
        cwd: dir,
        env: {
          ...hostEnv,
          // npm packages are cached per project (git-ignored), shared by npm start, tests and benches.
          DENO_DIR: process.env.DENO_DIR ?? options.denoDir,
          DENO_NO_UPDATE_CHECK: '1',
          NO_COLOR: '1',
          ...fileEnv,
          ...options.extraEnv,
          ...options.supabaseEnv(),
        },
        logger: log,
        bootTimeoutMs: options.bootTimeoutMs ?? 180_000,
      });
      processes.set(name, proc);
    }
    return proc;
  }

  async function checkJwt(request: ServiceRequest): Promise<{ status: number; body: unknown } | undefined> {
    // verify_jwt checks the Authorization header only, and only JWTs pass it: an sb_ key (as the bearer or
    // the apikey) does not ("Edge Functions only support JWT verification via the anon and service_role
    // JWT-based API keys", guides/api/api-keys, Known limitations).
    const token = bearerToken(request.req);
    if (!token) return { status: 401, body: { code: 'UNAUTHORIZED_NO_AUTH_HEADER', message: 'Missing authorization header' } };
    try {
      await verifyJwtClaims(token, options.jwtKeys);
      return undefined;
    } catch (error) {
      if (!(error instanceof InvalidJwtError)) throw error;
      if (error.reason === 'malformed') return { status: 401, body: { code: 'UNAUTHORIZED_INVALID_JWT_FORMAT', message: 'Invalid JWT' } };
      // The edge runtime names which verification failed: the legacy secret (HS*) or the JWKS (ES256/RS256).
      const legacy = /^HS/.test(String(decodeProtectedHeader(token).alg));
      return {
        status: 401,
        body: { code: legacy ? 'UNAUTHORIZED_LEGACY_JWT' : 'UNAUTHORIZED_ASYMMETRIC_JWT', message: error.reason === 'expired' ? 'JWT expired' : 'Invalid JWT' },
      };
    }
  }

  async function handle(request: ServiceRequest): Promise<void> {
    const { req, res } = request;
    const name = request.path.split('/')[1] ?? '';
    // Answers the gateway itself gives carry CORS headers so browsers can read them; the function's
    // own responses (and preflights) are the function's business, as on Supabase.
    if (!NAME_PATTERN.test(name) || !listFunctions().includes(name)) {
      req.resume();
      sendJson(res, 404, { code: 'NOT_FOUND', message: 'Requested function was not found' }, corsHeaders(req));
      return;
    }
    if ((configs.get(name)?.verifyJwt ?? true) && req.method !== 'OPTIONS') {
      const rejection = await checkJwt(request);
      if (rejection) {
        req.resume();
        sendJson(res, rejection.status, rejection.body, corsHeaders(req));
        return;
      }
    }
    let port: number;
    const proc = processFor(name);
    try {
      port = await proc.ensureRunning();
    } catch (error) {
      if (proc.isStopped) log.info({ function: name }, 'functions: stopped while booting');
      else log.error({ err: error, function: name }, 'functions: worker failed to boot');
      req.resume();
      sendJson(res, 503, { code: 'BOOT_ERROR', message: 'Function failed to start (please check logs)' }, corsHeaders(req));
      return;
    }
    await proxy(request, port);
  }

  function proxy(request: ServiceRequest, port: number): Promise<void> {
    const { req, res } = request;
    const headers: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
    }
    headers['x-forwarded-host'] = req.headers.host ?? '';
    const declared = Number(headerValue(req, 'content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
      req.resume();
      sendJson(res, 413, { message: 'Request Entity Too Large', limit_bytes: options.maxBodyBytes });
      return Promise.resolve();
    }
    return new Promise<void>((done) => {
      const upstream = httpRequest(
        { host: '127.0.0.1', port, method: req.method, path: `${request.path}${request.rawQuery ? `?${request.rawQuery}` : ''}`, headers },
        (upstreamRes) => {
          const outHeaders: Record<string, string | string[]> = {};
          for (const [key, value] of Object.entries(upstreamRes.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(key)) outHeaders[key] = value;
          }
          res.writeHead(upstreamRes.statusCode ?? 502, outHeaders);
          upstreamRes.pipe(res);
          upstreamRes.once('end', done);
          upstreamRes.once('error', () => { res.destroy(); done(); });
        },
      );
      let tooLarge = false;
      upstream.once('error', (error) => {
        if (tooLarge) return done();
        log.warn({ err: error, port }, 'functions: upstream request failed');
        if (!res.headersSent) sendJson(res, 502, { code: 'WORKER_ERROR', message: 'The function did not answer' }, corsHeaders(req));
        else res.destroy();
        done();
      });
      let size = 0;
      const limiter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size > options.maxBodyBytes) {
            if (!tooLarge) upstream.destroy();
            tooLarge = true;
            if (!res.headersSent) sendJson(res, 413, { message: 'Request Entity Too Large', limit_bytes: options.maxBodyBytes });
            req.resume();
            callback();
            return;
          }
          callback(null, chunk);
        },
      });
      req.pipe(limiter).pipe(upstream);
      res.once('close', () => upstream.destroy());
    });
  }

  return {
    handle,
    names: listFunctions,
    async startAll() {
      await Promise.all(listFunctions().map((name) => processFor(name).ensureRunning()));
    },
    async stop() {
      await Promise.all([...processes.values()].map((proc) => proc.stop()));
      processes.clear();
    },
  };
}
