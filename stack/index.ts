// The local Supabase-compatible development stack (no Docker): Postgres (embedded, or a given one),
// bootstrap + migrations + seed, and one gateway with /auth/v1, /rest/v1, /storage/v1, /functions/v1
// and /realtime/v1. A development and test stack; production runs on Supabase.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import pino, { type Logger } from 'pino';
import { readAuthConfig } from './auth/config.ts';
import { createAuthService } from './auth/index.ts';
import type { RunningPostgres } from './db/embedded.ts';
import { ensureStorageSchema, prepareDatabase, repoRoot } from './db/prepare.ts';
import { TIMESTAMP_TEXT } from './db/timestamp-text.ts';
import { createFunctionsService, type FunctionsService } from './functions/index.ts';
import { startGateway, type RunningGateway } from './gateway/index.ts';
import {
  createJwtKeys, LOCAL_ANON_KEY, LOCAL_JWT_SECRET, LOCAL_PUBLISHABLE_KEY, LOCAL_SECRET_KEY, LOCAL_SERVICE_ROLE_KEY,
  loadOrCreateSigningKeys, type JwtKeys, type SigningAlgorithm,
} from './keys.ts';
import { hasAllMigrations } from './migration-status.ts';
import { startRealtime, type RealtimeHandle, type RealtimeLimits } from './realtime-wiring.ts';
import { createRestService } from './rest/index.ts';
import { createStorageService, readStorageFileSizeLimit } from './storage/index.ts';

export interface StartStackOptions {
  /** Gateway port; 54321 by default (as `supabase start`), 0 for any free port. */
  port?: number;
  /** Gateway bind address; 127.0.0.1 by default. */
  host?: string;
  /** Use this Postgres (superuser URL) instead of starting an embedded one. */
  databaseUrl?: string;
  /** Apply bootstrap + migrations (+ seed) first. Default true; tests with a cloned database pass false. */
  prepare?: boolean;
  /** Run bootstrap + migrations even when every migration is already recorded. Default false. */
  alwaysMigrate?: boolean;
  /** Apply supabase/seed.sql when preparing. Default true. */
  seed?: boolean;
  /** Embedded Postgres data directory. Default `<repo>/.data/postgres` (kept between runs). */
  dataDir?: string;
  /** Keep the embedded data directory on stop. Default: true for the default dataDir, false for a temporary one. */
  persistent?: boolean;
  /** Throwaway embedded Postgres in a temporary directory (deleted on stop). */
  ephemeral?: boolean;
  /** Embedded Postgres port; 54322 by default (as `supabase start`), 0 for any free port. */
  dbPort?: number;
  /** The Edge Functions' Deno cache (DENO_DIR, npm packages); default `<repo>/.data/deno`. */
  denoDir?: string;
  /** Edge Functions folder; default `<repo>/supabase/functions`. */
  functionsDir?: string;
  /** supabase/config.toml (verify_jwt per function, [auth.rate_limit], [auth.email], storage limits). */
  configPath?: string;
  /** Extra environment for every Edge Function. */
  functionEnv?: Record<string, string>;
  /** Start every Edge Function at start instead of on its first request. */
  prestartFunctions?: boolean;
  /**
   * Folder for Storage's files. Default: `<repo>/.data/storage` with the default (persistent) embedded
   * database, otherwise a temporary folder deleted on stop.
   */
  storageDir?: string;
  /** Storage's global upload limit in bytes; default supabase/config.toml [storage] file_size_limit (100 MiB in this project). */
  storageFileSizeLimit?: number;
  /** Serve /storage/v1. Default true. */
  storage?: boolean;
  /** Serve /realtime/v1/websocket when stack/realtime exists. Default true. */
  realtime?: boolean;
  /** Realtime's quotas (stack/realtime/limits.ts); default Supabase's Free plan. */
  realtimeLimits?: Partial<RealtimeLimits>;
  /** Request body limit in bytes (413 above it). Default 10 MiB. */
  maxBodyBytes?: number;
  /** Access token lifetime in seconds. Default 3600. */
  jwtExpirySeconds?: number;
  /**
   * How user access tokens are signed: 'ES256' (default; a project created today, JWKS served) or
   * 'HS256' (a legacy project: the JWT secret signs, the JWKS is empty). Legacy HS256 tokens verify in both.
   */
  jwtAlgorithm?: SigningAlgorithm;
  /**
   * Signing key set (JSON array of private JWKs, `supabase gen signing-key` format), created when missing.
   * Default: `<repo>/.data/signing-keys.json` with the default (persistent) database, so signed-in
   * browsers stay signed in across restarts; otherwise a key generated for this run.
   */
  signingKeysPath?: string;
  logger?: Logger;
}

export interface RunningStack {
  /** Gateway URL, e.g. http://127.0.0.1:54321 (SUPABASE_URL). */
  url: string;
  port: number;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  /** The legacy JWT secret (HS256). */
  jwtSecret: string;
  /** The signing keys: `jwtKeys.jwks` is what /auth/v1/.well-known/jwks.json serves; `sign` mints tokens as Auth does. */
  jwtKeys: JwtKeys;
  /** Superuser connection string (DATABASE_URL / SUPABASE_DB_URL). */
  databaseUrl: string;
  /** Names of the Edge Functions found. */
  functions: string[];
  realtime: boolean;
  /** Where Storage keeps its files (undefined when Storage is off). */
  storageDir: string | undefined;
  /** Stops the gateway, functions, realtime and (when embedded) Postgres. Idempotent. */
  stop(): Promise<void>;
}

export async function startStack(options: StartStackOptions = {}): Promise<RunningStack> {
  const logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const startedAt = Date.now();
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'stack: cleanup failed'));
    }
  };

  try {
    let databaseUrl = options.databaseUrl;
    let embedded: RunningPostgres | undefined;
    let defaultPersistentDatabase = false;
    if (!databaseUrl) {
      const ephemeral = options.ephemeral ?? false;
      const dataDir = options.dataDir ?? (ephemeral ? await mkdtemp(join(tmpdir(), 'wl-stack-pg-')) : join(repoRoot, '.data', 'postgres'));
      const persistent = options.persistent ?? (!ephemeral && options.dataDir === undefined);
      defaultPersistentDatabase = persistent && options.dataDir === undefined && !ephemeral;
      // Loaded only when needed (it registers an exit handler that stops the servers it started).
      const { startEmbeddedPostgres } = await import('./db/embedded.ts');
      embedded = await startEmbeddedPostgres({
        dataDir,
        persistent,
        port: options.dbPort === 0 ? undefined : options.dbPort ?? 54322,
        onLog: (message) => logger.debug({ component: 'postgres' }, message.trim()),
      });
      cleanups.push(() => embedded!.stop());
      databaseUrl = embedded.url;
      logger.info({ ms: Date.now() - startedAt, dataDir, persistent }, 'stack: Postgres started');
    }
    if ((options.prepare ?? true) && (options.alwaysMigrate || !(await hasAllMigrations(databaseUrl)))) {
      await prepareDatabase(databaseUrl, { seed: options.seed ?? true });
      logger.info({ ms: Date.now() - startedAt }, 'stack: database prepared (bootstrap, migrations, seed)');
    }
    const serveStorage = options.storage ?? true;
    if (serveStorage && (options.prepare ?? true) && (await ensureStorageSchema(databaseUrl)) === 'applied') {
      logger.info('stack: storage schema added to an existing database');
    }

    const sql = postgres(databaseUrl, {
      max: 10, prepare: false, onnotice: () => {}, connection: { application_name: 'local-gateway' }, types: { date: TIMESTAMP_TEXT },
    });
    cleanups.push(() => sql.end({ timeout: 2 }));

    const jwtSecret = LOCAL_JWT_SECRET;
    const signingKeysPath = options.signingKeysPath ?? (defaultPersistentDatabase ? join(repoRoot, '.data', 'signing-keys.json') : undefined);
    const jwtKeys = await createJwtKeys({
      algorithm: options.jwtAlgorithm ?? 'ES256',
      legacySecret: jwtSecret,
      signingKeys: signingKeysPath && (options.jwtAlgorithm ?? 'ES256') === 'ES256' ? await loadOrCreateSigningKeys(signingKeysPath) : undefined,
    });
    const keys = {
      anonKey: LOCAL_ANON_KEY, serviceRoleKey: LOCAL_SERVICE_ROLE_KEY,
      publishableKey: LOCAL_PUBLISHABLE_KEY, secretKey: LOCAL_SECRET_KEY,
    };
    let gatewayUrl = '';
    const functions: FunctionsService = await createFunctionsService({
      functionsDir: options.functionsDir ?? join(repoRoot, 'supabase', 'functions'),
      configPath: options.configPath ?? join(repoRoot, 'supabase', 'config.toml'),
      denoPath: join(repoRoot, 'node_modules', '.bin', 'deno'),
      denoDir: options.denoDir ?? join(repoRoot, '.data', 'deno'),
      jwtKeys,
      extraEnv: options.functionEnv,
      maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024,
      logger: logger.child({ component: 'functions' }),
      supabaseEnv: () => ({
        SUPABASE_URL: gatewayUrl,
        SUPABASE_ANON_KEY: keys.anonKey,
        SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
        SUPABASE_DB_URL: databaseUrl!,
        SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
        SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
        SUPABASE_JWKS: JSON.stringify(jwtKeys.jwks),
      }),
    });
    cleanups.push(() => functions.stop());

    let realtime: RealtimeHandle | undefined;
    if (options.realtime ?? true) {
      try {
        realtime = await startRealtime({ databaseUrl, jwtKeys, limits: options.realtimeLimits, logger: logger.child({ component: 'realtime' }) });
      } catch (error) {
        // e.g. a given DATABASE_URL without wal_level=logical: serve everything else.
        logger.error({ err: error }, 'stack: Realtime could not start; /realtime/v1/websocket answers 404');
      }
      if (realtime) cleanups.push(() => realtime!.close());
    }

    let storageDir: string | undefined;
    if (serveStorage) {
      storageDir = options.storageDir ?? (defaultPersistentDatabase ? join(repoRoot, '.data', 'storage') : await mkdtemp(join(tmpdir(), 'wl-stack-storage-')));
      if (!options.storageDir && !defaultPersistentDatabase) {
        const temporary = storageDir;
        cleanups.push(() => rm(temporary, { recursive: true, force: true }));
      }
    }
    const storage = storageDir
      ? await createStorageService({
        sql,
        jwtSecret,
        jwtKeys,
        rootDir: storageDir,
        fileSizeLimit: options.storageFileSizeLimit ?? await readStorageFileSizeLimit(options.configPath ?? join(repoRoot, 'supabase', 'config.toml')),
        logger: logger.child({ component: 'storage' }),
      })
      : undefined;

    const gateway: RunningGateway = await startGateway({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 54321,
      keys,
      maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024,
      logger: logger.child({ component: 'gateway' }),
      auth: createAuthService({
        sql,
        config: await readAuthConfig(options.configPath ?? join(repoRoot, 'supabase', 'config.toml')),
        jwtKeys,
        jwtExpirySeconds: options.jwtExpirySeconds ?? 3600,
        issuer: () => `${gatewayUrl}/auth/v1`,
        logger: logger.child({ component: 'auth' }),
      }),
      rest: createRestService({ sql, jwtKeys, logger: logger.child({ component: 'rest' }) }),
      functions: functions.handle,
      storage,
      realtime,
    });
    gatewayUrl = gateway.url;
    // Close the gateway first so no request reaches a stopped service.
    cleanups.push(() => gateway.close());

    if (options.prestartFunctions) await functions.startAll();
    logger.info({ ms: Date.now() - startedAt, url: gateway.url }, 'stack: ready');

    let stopping: Promise<void> | undefined;
    return {
      url: gateway.url,
      port: gateway.port,
      ...keys,
      jwtSecret,
      jwtKeys,
      databaseUrl,
      functions: functions.names(),
      realtime: realtime !== undefined,
      storageDir,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export { LOCAL_ANON_KEY, LOCAL_JWT_SECRET, LOCAL_PUBLISHABLE_KEY, LOCAL_SECRET_KEY, LOCAL_SERVICE_ROLE_KEY } from './keys.ts';
