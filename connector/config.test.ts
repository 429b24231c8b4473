import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const key = Buffer.alloc(32, 7).toString('base64');
const base = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', CONNECTOR_REALTIME: 'disabled', MEDIA: 'disabled', AUTH_STATE_ENCRYPTION_KEY: key };

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join('\n');
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('parses a minimal environment into a frozen config with defaults', () => {
    const config = loadConfig(base);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.outbound)).toBe(true);
    expect(config.settingsDefaults).toMatchObject({ minIntervalMs: 1000, jitterMs: 500, defaultCountry: null, typingIndicator: false });
    expect(config.webhooks).toMatchObject({ delivery: true, allowPrivateEndpoints: false, timeoutMs: 10_000 });
    expect(config.lifecycle.idleDays).toBe(7);
    expect(config.lifecycle.qrTimeoutMs).toBeNull();
    expect(config.whatsapp.webSocketUrl).toBeNull();
    expect(config.authState.key?.length).toBe(32);
    expect(config.media).toBeNull();
    expect(config.whatsapp.simulatorMediaCa).toBeNull();
    const media = loadConfig({ ...base, MEDIA: 'enabled', SUPABASE_URL: 'http://127.0.0.1:54321', SUPABASE_SERVICE_ROLE_KEY: 'k' }).media;
    expect(media).toMatchObject({ bucket: 'whatsapp-media', downloadConcurrency: 4, serviceKey: 'k' });
    // The secret key (sb_secret_…) is the connector's key; the legacy service_role JWT only a fallback.
    const both = loadConfig({ ...base, MEDIA: 'enabled', CONNECTOR_REALTIME: 'enabled', SUPABASE_URL: 'http://127.0.0.1:54321',
      SUPABASE_SECRET_KEY: 'sb_secret_x', SUPABASE_SERVICE_ROLE_KEY: 'legacy' });
    expect([both.media?.serviceKey, both.realtime?.serviceKey]).toEqual(['sb_secret_x', 'sb_secret_x']);
  });

  it('names the missing or bad variable', () => {
    expect(problems({ ...base, DATABASE_URL: '' })).toMatch(/^DATABASE_URL: /m);
    expect(problems({ ...base, SEND_MIN_INTERVAL_MS: '-1' })).toMatch(/^SEND_MIN_INTERVAL_MS: /m);
    expect(problems({ ...base, AUTH_STATE_ENCRYPTION_KEY: 'short' })).toMatch(/^AUTH_STATE_ENCRYPTION_KEY: must be 32 bytes/m);
    expect(problems({ ...base, CONNECTOR_REALTIME: 'enabled' })).toMatch(/^SUPABASE_URL: required/m);
    expect(problems({ ...base, MEDIA: 'enabled' })).toMatch(/^SUPABASE_URL: required to keep media in Storage/m);
    expect(problems({ ...base, MEDIA: 'enabled' })).toMatch(/^SUPABASE_SECRET_KEY: required to keep media in Storage/m);
    expect(problems({ ...base, WA_SIM_MEDIA_CA: Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64') })).toMatch(/^WA_SIM_MEDIA_CA: only for the simulator/m);
    expect(problems({ ...base, WA_SIM_MEDIA_CA: 'bm90IGEgY2VydA==' })).toMatch(/^WA_SIM_MEDIA_CA: must be/m);
    expect(problems({ ...base, WA_SIM_MEDIA_HOST: '127.0.0.1:4443' })).toMatch(/^WA_SIM_MEDIA_HOST: only for the simulator/m);
    expect(problems({ ...base, WA_SIM_MEDIA_HOST: 'https://x/' })).toMatch(/^WA_SIM_MEDIA_HOST: must be/m);
    expect(problems({ ...base, DEFAULT_COUNTRY: 'usa' })).toMatch(/^DEFAULT_COUNTRY: /m);
    expect(problems({ ...base, WEBHOOK_TIMEOUT_MS: '5000', WEBHOOK_CLAIM_TTL_MS: '5500' })).toMatch(/^WEBHOOK_CLAIM_TTL_MS: must exceed/m);
    expect(problems({ ...base, WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'yes' })).toMatch(/^WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: /m);
  });

  it('refuses to run without an encryption key unless AUTH_STATE_ENCRYPTION=disabled is explicit', () => {
    const { AUTH_STATE_ENCRYPTION_KEY: _, ...noKey } = base;
    expect(problems(noKey)).toMatch(/AUTH_STATE_ENCRYPTION_KEY: required .* AUTH_STATE_ENCRYPTION=disabled/);
    expect(loadConfig({ ...noKey, AUTH_STATE_ENCRYPTION: 'disabled' }).authState).toMatchObject({ encryption: 'disabled', key: null });
  });

  it('reads plaintext credentials beside a key only with the explicit migration switch', () => {
    expect(loadConfig(base).authState.acceptPlaintext).toBe(false);
    expect(loadConfig({ ...base, AUTH_STATE_MIGRATE_PLAINTEXT: 'enabled' }).authState.acceptPlaintext).toBe(true);
    expect(problems({ ...base, AUTH_STATE_MIGRATE_PLAINTEXT: 'yes' })).toMatch(/^AUTH_STATE_MIGRATE_PLAINTEXT: /m);
  });

  it('points at the simulator only when configured (URL and root key together)', () => {
    expect(problems({ ...base, WA_SIM_ROOT_KEY: key })).toMatch(/^WA_WEBSOCKET_URL: required/m);
    const config = loadConfig({ ...base, WA_WEBSOCKET_URL: 'ws://127.0.0.1:1/ws/chat', WA_SIM_ROOT_KEY: key });
    expect(config.whatsapp.simulatorRootKey?.length).toBe(32);
    // the simulator publishes its WA Web version on its own port (never the internet in simulator mode)
    expect(config.whatsapp.version).toEqual({ override: null, url: 'http://127.0.0.1:1/sw.js', fetchTimeoutMs: 5000 });
  });

  it('WA_VERSION: latest (default, fetched from web.whatsapp.com) or a pinned version', () => {
    expect(loadConfig(base).whatsapp.version).toMatchObject({ override: null, url: 'https://web.whatsapp.com/sw.js' });
    expect(loadConfig({ ...base, WA_VERSION: '2.3000.1046120035' }).whatsapp.version.override).toEqual([2, 3000, 1046120035]);
    expect(problems({ ...base, WA_VERSION: '2.3000' })).toMatch(/^WA_VERSION: must be 'latest'/m);
    expect(problems({ ...base, WA_VERSION: '2.3000.1', WA_VERSION_URL: 'http://127.0.0.1:1/sw.js' })).toMatch(/^WA_VERSION_URL: only used/m);
  });
});
