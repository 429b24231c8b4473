// The settings form works on strings (what the inputs hold); these convert to and from the API's config.
// An empty field or "default" means: leave the key out, the deployment's default applies.
import { WEBHOOK_EVENT_TYPES, type MessagingConfig, type MessagingSettings, type WebhookEventType } from '../../lib/settings-api.ts';

export type TriState = 'default' | 'on' | 'off';

export interface SettingsForm {
  name: string;
  active: boolean;
  minIntervalMs: string;
  jitterMs: string;
  defaultCountry: string;
  historyImport: TriState;
  mediaMaxMb: string;
  typingIndicator: TriState;
  webhookUrl: string;
  webhookEnabled: boolean;
  webhookEvents: WebhookEventType[];
}

const tri = (value: boolean | undefined): TriState => (value === undefined ? 'default' : value ? 'on' : 'off');
const fromTri = (value: TriState): boolean | undefined => (value === 'default' ? undefined : value === 'on');
const num = (text: string): number | undefined => (text.trim() === '' ? undefined : Number(text.trim()));
const MB = 1024 * 1024;

export function formFromSettings(s: MessagingSettings): SettingsForm {
  const c = s.config;
  return {
    name: s.name ?? '',
    active: s.active,
    minIntervalMs: c.pacing?.min_interval_ms?.toString() ?? '',
    jitterMs: c.pacing?.jitter_ms?.toString() ?? '',
    defaultCountry: c.default_country ?? '',
    historyImport: tri(c.history_import),
    mediaMaxMb: c.media_max_bytes === undefined ? '' : String(Math.round((c.media_max_bytes / MB) * 100) / 100),
    typingIndicator: tri(c.typing_indicator),
    webhookUrl: c.webhook?.url ?? '',
    webhookEnabled: c.webhook?.enabled ?? false,
    webhookEvents: c.webhook?.events ?? [...WEBHOOK_EVENT_TYPES],
  };
}

/** The body of PUT /settings. Numbers that are not numbers are sent as they are: the API says what is wrong. */
export function settingsFromForm(f: SettingsForm): { name: string | null; active: boolean; config: MessagingConfig } {
  const config: MessagingConfig = {};
  const minInterval = num(f.minIntervalMs);
  const jitter = num(f.jitterMs);
  if (minInterval !== undefined || jitter !== undefined) {
    config.pacing = {
      ...(minInterval !== undefined ? { min_interval_ms: minInterval } : {}),
      ...(jitter !== undefined ? { jitter_ms: jitter } : {}),
    };
  }
  if (f.defaultCountry.trim()) config.default_country = f.defaultCountry.trim().toUpperCase();
  const history = fromTri(f.historyImport);
  if (history !== undefined) config.history_import = history;
  const mediaMb = num(f.mediaMaxMb);
  if (mediaMb !== undefined) config.media_max_bytes = Math.round(mediaMb * MB);
  const typing = fromTri(f.typingIndicator);
  if (typing !== undefined) config.typing_indicator = typing;
  if (f.webhookUrl.trim() || f.webhookEnabled) {
    const all = WEBHOOK_EVENT_TYPES.every((e) => f.webhookEvents.includes(e));
    config.webhook = {
      url: f.webhookUrl.trim() || null,
      enabled: f.webhookEnabled,
      ...(all ? {} : { events: WEBHOOK_EVENT_TYPES.filter((e) => f.webhookEvents.includes(e)) }),
    };
  }
  return { name: f.name.trim() || null, active: f.active, config };
}
