// Connector configuration: read from the environment once, validated with zod, frozen.
// Errors name the variable. Nothing else in connector/ reads process.env.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid connector configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);
const base64Key = z.string().trim().refine((v) => Buffer.from(v, 'base64').length === 32, {
  message: 'must be 32 bytes, base64 encoded (e.g. `openssl rand -base64 32`)',
});

const schema = z.object({
  DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
  DATABASE_POOL_SIZE: int(1, 10),
  SUPABASE_URL: z.string().trim().url().optional(),
  /** The project's secret key (`sb_secret_…`): Realtime doorbell and Storage. */
  SUPABASE_SECRET_KEY: z.string().trim().min(1).optional(),
  /** The legacy service_role JWT key; used when SUPABASE_SECRET_KEY is not set. */
  SUPABASE_SERVICE_ROLE_KEY: z.string().trim().min(1).optional(),
  CONNECTOR_REALTIME: z.enum(['enabled', 'disabled']).default('enabled'),
  CONNECTOR_ID: z.string().trim().min(1).max(200).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HEALTH_PORT: int(0, 9464).pipe(z.number().max(65535)),
  HEALTH_HOST: z.string().default('0.0.0.0'),

  AUTH_STATE_ENCRYPTION_KEY: base64Key.optional(),
  AUTH_STATE_ENCRYPTION_OLD_KEYS: z.string().optional(),
  AUTH_STATE_ENCRYPTION: z.enum(['enabled', 'disabled']).default('enabled'),
  AUTH_STATE_MIGRATE_PLAINTEXT: z.enum(['enabled', 'disabled']).default('disabled'),
  AUTH_STATE_CACHE_MAX_KEYS: int(0, 20_000),

  LEASE_TTL_MS: int(1000, 30_000),
  SWEEP_INTERVAL_MS: int(50, 2000),
  RESUME_CONCURRENCY: int(1, 10),
  MAX_SESSIONS: int(1, 5000),
  CONNECTOR_PROCESSES: int(1, 1).pipe(z.number().max(64)),
  COMMAND_CLAIM_TTL_MS: int(1000, 120_000),
  OUTBOUND_CLAIM_TTL_MS: int(1000, 60_000),
  OUTBOUND_BATCH_SIZE: int(1, 1000),
  OUTBOUND_PIPELINE_DEPTH: int(1, 32),
  OUTBOUND_MAX_ATTEMPTS: int(1, 5),
  OUTBOUND_RETRY_BASE_MS: int(0, 2000),
  SEND_MIN_INTERVAL_MS: int(0, 1000),
  SEND_JITTER_MS: int(0, 500),
  SEND_TIMEOUT_MS: int(1000, 30_000),
  DEFAULT_COUNTRY: z.string().trim().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 region like US or BR').optional(),
  ON_WHATSAPP_CACHE_TTL_MS: int(0, 24 * 3600_000),
  HISTORY_IMPORT: z.enum(['enabled', 'disabled']).default('enabled'),
  MEDIA_MAX_BYTES: int(1, 100 * 1024 * 1024).pipe(z.number().max(2_147_483_647)),
  TYPING_INDICATOR: z.enum(['enabled', 'disabled']).default('disabled'),

  WEBHOOK_DELIVERY: z.enum(['enabled', 'disabled']).default('enabled'),
  WEBHOOK_CONCURRENCY: int(1, 8),
  WEBHOOK_TIMEOUT_MS: int(100, 10_000),
  WEBHOOK_MAX_ATTEMPTS: int(1, 12),
  WEBHOOK_RETRY_BASE_MS: int(0, 5_000),
  WEBHOOK_RETRY_MAX_MS: int(0, 3_600_000),
  WEBHOOK_CLAIM_TTL_MS: int(1000, 60_000),
  WEBHOOK_POLL_INTERVAL_MS: int(20, 1000),
  WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: z.enum(['enabled', 'disabled']).default('disabled'),
  WEBHOOK_RETENTION_DAYS: z.coerce.number().positive().default(7),
  WEBHOOK_POOL_SIZE: int(1, 2),

  RECONNECT_BASE_MS: int(0, 1000),
  RECONNECT_MAX_MS: int(0, 60_000),
  RECONNECT_MAX_ATTEMPTS: int(1, 10),
  QR_TIMEOUT_MS: z.coerce.number().int().min(1000).optional(),
  CONNECT_TIMEOUT_MS: int(1000, 20_000),
  QUERY_TIMEOUT_MS: int(1000, 60_000),
  SESSION_IDLE_DAYS: z.coerce.number().positive().default(7),
  EXPIRE_INTERVAL_MS: int(1000, 3600_000),
  UNFINISHED_LINK_MAX_AGE_MS: int(1000, 15 * 60_000),
  ACTIVITY_WRITE_INTERVAL_MS: int(0, 60_000),
  SHUTDOWN_GRACE_MS: int(0, 10_000),

  MEDIA: z.enum(['enabled', 'disabled']).default('enabled'),
  MEDIA_DOWNLOAD_CONCURRENCY: int(1, 4),
  MEDIA_DOWNLOAD_TIMEOUT_MS: int(1000, 120_000),
  MEDIA_MAX_ATTEMPTS: int(1, 6),
  MEDIA_RETRY_BASE_MS: int(0, 5000),
  MEDIA_CLAIM_TTL_MS: int(1000, 300_000),
  MEDIA_RETRY_REQUEST_TIMEOUT_MS: int(1000, 60_000),

  WA_WEBSOCKET_URL: z.string().trim().url().optional(),
  WA_VERSION: z.string().trim().regex(/^(latest|\d+\.\d+\.\d+)$/, "must be 'latest' (fetch the current WA Web version) or a version like 2.3000.1046120035").default('latest'),
  WA_VERSION_URL: z.string().trim().url().optional(),
  WA_VERSION_FETCH_TIMEOUT_MS: int(100, 5000),
  WA_SIM_ROOT_KEY: base64Key.optional(),
  WA_SIM_MEDIA_CA: z.string().trim().refine((v) => Buffer.from(v, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----'), {
    message: 'must be the simulator\'s media CA certificate (PEM), base64 encoded',
  }).optional(),
  WA_SIM_MEDIA_HOST: z.string().trim().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be the simulator\'s media host as host:port').optional(),
  BAILEYS_SHARED_ALS: z.enum(['enabled', 'disabled']).default('enabled'),
  BAILEYS_FAST_HANDSHAKE: z.enum(['enabled', 'disabled']).default('enabled'),
  CONNECTOR_SOURCE_MAPS: z.enum(['enabled', 'disabled']).default('disabled'),
});

function parseOldKeys(list: string | undefined, problems: string[]): Buffer[] {
  const oldKeys = (list ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (oldKeys.some((key) => Buffer.from(key, 'base64').length !== 32)) {
    problems.push('AUTH_STATE_ENCRYPTION_OLD_KEYS: every key must be 32 bytes, base64 encoded');
  }
  return oldKeys.map((k) => Buffer.from(k, 'base64'));
}

/** ws://host:port/ws/chat → http://host:port/sw.js (wss → https) */
function serviceWorkerUrlOf(webSocketUrl: string): string {
  const url = new URL(webSocketUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/sw.js';
  url.search = '';
  return url.toString();
}

function buildConfig(env: z.infer<typeof schema>) {
  const problems: string[] = [];
  const encryption = env.AUTH_STATE_ENCRYPTION === 'disabled' ? 'disabled' as const : 'enabled' as const;
  if (encryption === 'enabled' && !env.AUTH_STATE_ENCRYPTION_KEY) {
    problems.push('AUTH_STATE_ENCRYPTION_KEY: required (base64, 32 bytes); to store credentials unencrypted set AUTH_STATE_ENCRYPTION=disabled explicitly');
  }
  const oldKeys = parseOldKeys(env.AUTH_STATE_ENCRYPTION_OLD_KEYS, problems);
  const realtime = env.CONNECTOR_REALTIME === 'enabled';
  if (realtime && !env.SUPABASE_URL) problems.push('SUPABASE_URL: required for the Realtime doorbell (or set CONNECTOR_REALTIME=disabled)');
  const secretKey = env.SUPABASE_SECRET_KEY ?? env.SUPABASE_SERVICE_ROLE_KEY;
  if (realtime && !secretKey) problems.push('SUPABASE_SECRET_KEY: required for the Realtime doorbell (or the legacy SUPABASE_SERVICE_ROLE_KEY; or set CONNECTOR_REALTIME=disabled)');
  if (Boolean(env.WA_WEBSOCKET_URL) !== Boolean(env.WA_SIM_ROOT_KEY) && env.WA_SIM_ROOT_KEY) {
    problems.push('WA_WEBSOCKET_URL: required when WA_SIM_ROOT_KEY is set (the simulator\'s ws:// address)');
  }
  if (env.RECONNECT_MAX_MS < env.RECONNECT_BASE_MS) problems.push('RECONNECT_MAX_MS: must be >= RECONNECT_BASE_MS');
  if (env.WEBHOOK_RETRY_MAX_MS < env.WEBHOOK_RETRY_BASE_MS) problems.push('WEBHOOK_RETRY_MAX_MS: must be >= WEBHOOK_RETRY_BASE_MS');
  if (env.WEBHOOK_CLAIM_TTL_MS < env.WEBHOOK_TIMEOUT_MS + 1000) {
    problems.push('WEBHOOK_CLAIM_TTL_MS: must exceed WEBHOOK_TIMEOUT_MS by at least 1000 ms (a claim must outlive the request it covers)');
  }
  const media = env.MEDIA === 'enabled';
  if (media && !env.SUPABASE_URL) problems.push('SUPABASE_URL: required to keep media in Storage (or set MEDIA=disabled)');
  if (media && !secretKey) problems.push('SUPABASE_SECRET_KEY: required to keep media in Storage (or the legacy SUPABASE_SERVICE_ROLE_KEY; or set MEDIA=disabled)');
  if (env.WA_SIM_MEDIA_CA && !(env.WA_WEBSOCKET_URL && env.WA_SIM_ROOT_KEY)) {
    problems.push('WA_SIM_MEDIA_CA: only for the simulator (set WA_WEBSOCKET_URL and WA_SIM_ROOT_KEY too)');
  }
  if (env.WA_SIM_MEDIA_HOST && !env.WA_SIM_MEDIA_CA) problems.push('WA_SIM_MEDIA_HOST: only for the simulator (set WA_SIM_MEDIA_CA too)');
  if (env.WA_VERSION !== 'latest' && env.WA_VERSION_URL) problems.push('WA_VERSION_URL: only used with WA_VERSION=latest');
  if (problems.length) throw new ConfigError(problems);
  const simulator = Boolean(env.WA_WEBSOCKET_URL && env.WA_SIM_ROOT_KEY);

  return {
    connectorId: env.CONNECTOR_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE },
    realtime: realtime ? { url: env.SUPABASE_URL!, serviceKey: secretKey! } : null,
    logLevel: env.LOG_LEVEL,
    /** false: the CLI turns off tsx's source-mapped stack traces (Baileys formats a stack for every query) */
    sourceMaps: env.CONNECTOR_SOURCE_MAPS === 'enabled',
    health: { port: env.HEALTH_PORT, host: env.HEALTH_HOST },
    authState: {
      encryption,
      key: encryption === 'enabled' ? Buffer.from(env.AUTH_STATE_ENCRYPTION_KEY!, 'base64') : null,
      oldKeys,
      /** read plaintext (v0) values although a key is set: only while migrating off AUTH_STATE_ENCRYPTION=disabled */
      acceptPlaintext: encryption === 'enabled' && env.AUTH_STATE_MIGRATE_PLAINTEXT === 'enabled',
      cacheMaxKeys: env.AUTH_STATE_CACHE_MAX_KEYS,
    },
    lease: { ttlMs: env.LEASE_TTL_MS },
    sweepIntervalMs: env.SWEEP_INTERVAL_MS,
    resumeConcurrency: env.RESUME_CONCURRENCY,
    maxSessions: env.MAX_SESSIONS,
    processes: env.CONNECTOR_PROCESSES,
    commands: { claimTtlMs: env.COMMAND_CLAIM_TTL_MS },
    outbound: {
      claimTtlMs: env.OUTBOUND_CLAIM_TTL_MS,
      batchSize: env.OUTBOUND_BATCH_SIZE,
      /** sends of one session written to WhatsApp and not yet acked */
      pipelineDepth: env.OUTBOUND_PIPELINE_DEPTH,
      maxAttempts: env.OUTBOUND_MAX_ATTEMPTS,
      retryBaseMs: env.OUTBOUND_RETRY_BASE_MS,
      sendTimeoutMs: env.SEND_TIMEOUT_MS,
      onWhatsAppCacheTtlMs: env.ON_WHATSAPP_CACHE_TTL_MS,
    },
    /** What a user's messaging settings (configuracion_mensajeria_usuario) fall back to, key by key. */
    settingsDefaults: {
      minIntervalMs: env.SEND_MIN_INTERVAL_MS,
      jitterMs: env.SEND_JITTER_MS,
      defaultCountry: env.DEFAULT_COUNTRY ?? null,
      historyImport: env.HISTORY_IMPORT === 'enabled',
      mediaMaxBytes: env.MEDIA_MAX_BYTES,
      typingIndicator: env.TYPING_INDICATOR === 'enabled',
    },
    webhooks: {
      delivery: env.WEBHOOK_DELIVERY === 'enabled',
      concurrency: env.WEBHOOK_CONCURRENCY,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: env.WEBHOOK_RETRY_MAX_MS,
      claimTtlMs: env.WEBHOOK_CLAIM_TTL_MS,
      pollIntervalMs: env.WEBHOOK_POLL_INTERVAL_MS,
      allowPrivateEndpoints: env.WEBHOOK_ALLOW_PRIVATE_ENDPOINTS === 'enabled',
      retentionDays: env.WEBHOOK_RETENTION_DAYS,
      poolSize: env.WEBHOOK_POOL_SIZE,
    },
    lifecycle: {
      reconnectBaseMs: env.RECONNECT_BASE_MS,
      reconnectMaxMs: env.RECONNECT_MAX_MS,
      reconnectMaxAttempts: env.RECONNECT_MAX_ATTEMPTS,
      /** null = WhatsApp's timing (first ref 60 s, later refs 20 s); a number = every ref lives this long (tests) */
      qrTimeoutMs: env.QR_TIMEOUT_MS ?? null,
      connectTimeoutMs: env.CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.QUERY_TIMEOUT_MS,
      idleDays: env.SESSION_IDLE_DAYS,
      expireIntervalMs: env.EXPIRE_INTERVAL_MS,
      unfinishedLinkMaxAgeMs: env.UNFINISHED_LINK_MAX_AGE_MS,
      activityWriteIntervalMs: env.ACTIVITY_WRITE_INTERVAL_MS,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    },
    /** null = MEDIA=disabled: inbound media keep their metadata (media_state disabled), outbound media rows fail. The size cap is per user: settings.mediaMaxBytes */
    media: media ? {
      storageUrl: env.SUPABASE_URL!,
      serviceKey: secretKey!,
      bucket: 'whatsapp-media',
      downloadConcurrency: env.MEDIA_DOWNLOAD_CONCURRENCY,
      downloadTimeoutMs: env.MEDIA_DOWNLOAD_TIMEOUT_MS,
      maxAttempts: env.MEDIA_MAX_ATTEMPTS,
      retryBaseMs: env.MEDIA_RETRY_BASE_MS,
      claimTtlMs: env.MEDIA_CLAIM_TTL_MS,
      retryRequestTimeoutMs: env.MEDIA_RETRY_REQUEST_TIMEOUT_MS,
    } : null,
    whatsapp: {
      webSocketUrl: env.WA_WEBSOCKET_URL ?? null,
      /** simulator mode only: the CA of the simulator's media host (PEM), trusted for media and nothing else */
      simulatorMediaCa: env.WA_SIM_MEDIA_CA ? Buffer.from(env.WA_SIM_MEDIA_CA, 'base64').toString('utf8') : null,
      /**
       * simulator mode only: the simulator's media host (host:port) that stands in for mmg.whatsapp.net, where
       * Baileys downloads what comes without a URL (the history sync chunks); null: only URLs a message names
       */
      simulatorMediaHost: env.WA_SIM_MEDIA_HOST ?? null,
      simulatorRootKey: env.WA_SIM_ROOT_KEY ? Buffer.from(env.WA_SIM_ROOT_KEY, 'base64') : null,
      sharedAsyncLocalStorage: env.BAILEYS_SHARED_ALS === 'enabled',
      fastHandshake: env.BAILEYS_FAST_HANDSHAKE === 'enabled',
      /** WA_VERSION: a pinned version, or null = fetch the current one from `versionUrl` (fallback: Baileys' pinned one) */
      version: {
        override: env.WA_VERSION === 'latest' ? null : (env.WA_VERSION.split('.').map(Number) as [number, number, number]),
        // simulator mode: the simulator publishes its current version on its own port, like web.whatsapp.com/sw.js
        url: env.WA_VERSION_URL ?? (simulator ? serviceWorkerUrlOf(env.WA_WEBSOCKET_URL!) : 'https://web.whatsapp.com/sw.js'),
        fetchTimeoutMs: env.WA_VERSION_FETCH_TIMEOUT_MS,
      },
    },
  };
}

export type ConnectorConfig = ReturnType<typeof buildConfig>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Parses the environment (default: process.env) into a frozen config, or throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ConnectorConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  return deepFreeze(buildConfig(parsed.data));
}

const rekeySchema = schema.pick({
  DATABASE_URL: true, AUTH_STATE_ENCRYPTION_KEY: true, AUTH_STATE_ENCRYPTION_OLD_KEYS: true, AUTH_STATE_MIGRATE_PLAINTEXT: true,
  LEASE_TTL_MS: true,
});

/** npm run auth-state:rekey: the connector's database and keys (the new key current, the old ones listed). */
export function loadRekeyConfig(env: Record<string, string | undefined> = process.env) {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = rekeySchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  const problems: string[] = [];
  if (!parsed.data.AUTH_STATE_ENCRYPTION_KEY) problems.push('AUTH_STATE_ENCRYPTION_KEY: required (the key every value is sealed with)');
  const oldKeys = parseOldKeys(parsed.data.AUTH_STATE_ENCRYPTION_OLD_KEYS, problems);
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze({
    database: { url: parsed.data.DATABASE_URL },
    key: Buffer.from(parsed.data.AUTH_STATE_ENCRYPTION_KEY!, 'base64'),
    oldKeys,
    acceptPlaintext: parsed.data.AUTH_STATE_MIGRATE_PLAINTEXT === 'enabled',
    leaseTtlMs: parsed.data.LEASE_TTL_MS,
  });
}
