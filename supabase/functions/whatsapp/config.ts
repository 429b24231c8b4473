// The function's configuration, parsed once from the environment. The only module that reads it.
import { z } from 'zod';
import { ConfigError, parseEnv } from '../_shared/env.ts';
import { isKnownCountry } from '../_shared/phone.ts';
import { LARGEST_MESSAGE_BODY_BYTES } from './schemas/message.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

const envSchema = z.object({
  /** Port to listen on (Supabase's edge runtime and stack/ set it). */
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  SUPABASE_URL: z.url({ protocol: /^https?$/ }),
  /** The project's publishable keys as Supabase passes them to functions (JSON `{ "default": "sb_publishable_…" }`). */
  SUPABASE_PUBLISHABLE_KEYS: z.string().optional(),
  /** The legacy anon JWT key; used when SUPABASE_PUBLISHABLE_KEYS has no default key. */
  SUPABASE_ANON_KEY: z.string().min(20, 'must be the project anon key').optional(),
  /** The project's secret keys as Supabase passes them to functions (JSON `{ "default": "sb_secret_…" }`). */
  SUPABASE_SECRET_KEYS: z.string().optional(),
  /** The legacy service_role JWT Supabase also passes; used when SUPABASE_SECRET_KEYS has no default key. */
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(20).optional(),
  /** Comma-separated browser origins allowed by CORS, or `*`. */
  WHATSAPP_ALLOWED_ORIGINS: z.string().default('*'),
  /** ISO 3166-1 alpha-2 country for numbers written without a +country prefix. Unset: E.164 only. */
  WHATSAPP_DEFAULT_COUNTRY: z.string().toUpperCase()
    .refine(isKnownCountry, 'must be a two-letter country code such as US or DE').optional(),
  WHATSAPP_RATE_LIMIT_MESSAGES: positiveInt(120),
  WHATSAPP_RATE_LIMIT_SESSIONS: positiveInt(60),
  WHATSAPP_RATE_LIMIT_WINDOW_SECONDS: positiveInt(60).pipe(z.number().max(86400, 'at most one day (86400)')),
  /**
   * The largest request body (413 payload_too_large above it). Never below the largest valid POST /messages
   * (LARGEST_MESSAGE_BODY_BYTES, about 108 KB: a 64 KiB preview is 87 KB of base64), or the API would refuse with
   * 413 a message its own schema accepts; the default leaves room above it.
   */
  WHATSAPP_MAX_BODY_BYTES: positiveInt(128 * 1024).pipe(z.number().min(LARGEST_MESSAGE_BODY_BYTES,
    `at least ${LARGEST_MESSAGE_BODY_BYTES} bytes: a POST /messages with a 64 KiB preview (media_thumbnail) must fit`)),
  /** Base URL the docs and OpenAPI `servers` advertise. Default: SUPABASE_URL + /functions/v1. */
  WHATSAPP_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  WHATSAPP_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** `enabled`: webhook URLs on loopback / private / local addresses are accepted (local development, tests). */
  WHATSAPP_WEBHOOK_ALLOW_PRIVATE: z.enum(['enabled', 'disabled']).default('disabled'),
});

export interface Config {
  port: number;
  supabaseUrl: string;
  /** Publishable key (or the legacy anon key): the `apikey` of the per-request client that carries the user's token. */
  supabasePublishableKey: string;
  /** Secret (service_role) key: only for the rate-limit counter, which users must not be able to call. */
  supabaseSecretKey: string;
  allowedOrigins: '*' | readonly string[];
  defaultCountry: string | undefined;
  rateLimits: Readonly<{ messages: number; sessions: number; windowSeconds: number }>;
  maxBodyBytes: number;
  publicUrl: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  webhookAllowPrivate: boolean;
}

export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const e = parseEnv(envSchema, env);
  const origins = e.WHATSAPP_ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  const supabaseUrl = e.SUPABASE_URL.replace(/\/+$/, '');
  const supabasePublishableKey = defaultKeyOf('SUPABASE_PUBLISHABLE_KEYS', e.SUPABASE_PUBLISHABLE_KEYS) ?? e.SUPABASE_ANON_KEY;
  if (!supabasePublishableKey) {
    throw new ConfigError('Invalid configuration: SUPABASE_PUBLISHABLE_KEYS (or SUPABASE_ANON_KEY) is required');
  }
  const supabaseSecretKey = defaultKeyOf('SUPABASE_SECRET_KEYS', e.SUPABASE_SECRET_KEYS) ?? e.SUPABASE_SERVICE_ROLE_KEY;
  if (!supabaseSecretKey) {
    throw new ConfigError('Invalid configuration: SUPABASE_SECRET_KEYS (or SUPABASE_SERVICE_ROLE_KEY) is required: the rate limit is counted with it');
  }
  return Object.freeze({
    port: e.PORT,
    supabaseUrl,
    supabasePublishableKey,
    supabaseSecretKey,
    allowedOrigins: origins.length === 0 || origins.includes('*') ? '*' : Object.freeze(origins),
    defaultCountry: e.WHATSAPP_DEFAULT_COUNTRY,
    rateLimits: Object.freeze({
      messages: e.WHATSAPP_RATE_LIMIT_MESSAGES,
      sessions: e.WHATSAPP_RATE_LIMIT_SESSIONS,
      windowSeconds: e.WHATSAPP_RATE_LIMIT_WINDOW_SECONDS,
    }),
    maxBodyBytes: e.WHATSAPP_MAX_BODY_BYTES,
    publicUrl: (e.WHATSAPP_PUBLIC_URL ?? `${supabaseUrl}/functions/v1`).replace(/\/+$/, ''),
    logLevel: e.WHATSAPP_LOG_LEVEL,
    webhookAllowPrivate: e.WHATSAPP_WEBHOOK_ALLOW_PRIVATE === 'enabled',
  });
}

/** The `default` key of SUPABASE_SECRET_KEYS / SUPABASE_PUBLISHABLE_KEYS (a JSON object of named keys), if any. */
function defaultKeyOf(variable: string, json: string | undefined): string | undefined {
  if (!json) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    const example = variable === 'SUPABASE_SECRET_KEYS' ? 'sb_secret_…' : 'sb_publishable_…';
    throw new ConfigError(`Invalid configuration: ${variable}: must be a JSON object such as {"default":"${example}"}`);
  }
  const key = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).default : undefined;
  return typeof key === 'string' && key.length >= 20 ? key : undefined;
}

/** The configuration of this process, from its environment (index.ts). */
export function loadConfigFromEnvironment(): Readonly<Config> {
  return loadConfig(Deno.env.toObject());
}
