// A user's stored settings (configuracion_mensajeria_usuario.config, already validated by the database's
// check constraint) merged over the connector's defaults, key by key.
import { z } from 'zod';
import type { ConnectorConfig } from '../config.ts';

export type SettingsDefaults = ConnectorConfig['settingsDefaults'];

const storedConfig = z.object({
  pacing: z.object({ min_interval_ms: z.number().int().min(0).optional(), jitter_ms: z.number().int().min(0).optional() }).optional(),
  default_country: z.string().regex(/^[A-Z]{2}$/).nullable().optional(),
  history_import: z.boolean().optional(),
  media_max_bytes: z.number().int().min(1).optional(),
  typing_indicator: z.boolean().optional(),
  webhook: z.object({
    url: z.string().nullable().optional(),
    enabled: z.boolean().optional(),
    events: z.array(z.string()).optional(),
  }).optional(),
});

export interface EffectiveSettings {
  /** false: the user paused sending; queued messages wait */
  readonly active: boolean;
  readonly pacing: { readonly minIntervalMs: number; readonly jitterMs: number };
  /** ISO 3166-1 alpha-2 for recipients written without +, or null (E.164 only) */
  readonly defaultCountry: string | null;
  readonly historyImport: boolean;
  readonly mediaMaxBytes: number;
  readonly typingIndicator: boolean;
  /** null: no webhook configured or it is disabled */
  readonly webhook: { readonly url: string; readonly events: readonly string[] | null } | null;
}

export function defaultSettings(defaults: SettingsDefaults): EffectiveSettings {
  return Object.freeze({
    active: true,
    pacing: Object.freeze({ minIntervalMs: defaults.minIntervalMs, jitterMs: defaults.jitterMs }),
    defaultCountry: defaults.defaultCountry,
    historyImport: defaults.historyImport,
    mediaMaxBytes: defaults.mediaMaxBytes,
    typingIndicator: defaults.typingIndicator,
    webhook: null,
  });
}

/** Stored row → effective settings. A config that does not parse (cannot happen past the check constraint) counts as {}. */
export function effectiveSettings(defaults: SettingsDefaults, row: { active: boolean; config: unknown } | null): EffectiveSettings {
  const base = defaultSettings(defaults);
  if (!row) return base;
  const parsed = storedConfig.safeParse(row.config);
  const c = parsed.success ? parsed.data : {};
  const webhook = c.webhook?.enabled && c.webhook.url ? { url: c.webhook.url, events: c.webhook.events ?? null } : null;
  return Object.freeze({
    active: row.active,
    pacing: Object.freeze({
      minIntervalMs: c.pacing?.min_interval_ms ?? base.pacing.minIntervalMs,
      jitterMs: c.pacing?.jitter_ms ?? base.pacing.jitterMs,
    }),
    defaultCountry: c.default_country === undefined ? base.defaultCountry : c.default_country,
    historyImport: c.history_import ?? base.historyImport,
    mediaMaxBytes: c.media_max_bytes ?? base.mediaMaxBytes,
    typingIndicator: c.typing_indicator ?? base.typingIndicator,
    webhook: webhook ? Object.freeze(webhook) : null,
  });
}
