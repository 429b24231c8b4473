// Messaging settings end to end: the /settings routes of the whatsapp function (validation with stable codes,
// nothing written on refusal, the webhook secret shown once and never again) and the table under RLS through
// supabase-js as two real users (another user can neither see nor change them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness } from './function-stack.ts';

let h: FunctionHarness;
let strict: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  h = await startFunctionHarness({ WHATSAPP_WEBHOOK_ALLOW_PRIVATE: 'enabled' });
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => {
  await h?.stop();
  await strict?.stop();
});

const full = {
  name: 'Ventas',
  active: true,
  config: {
    pacing: { min_interval_ms: 1500, jitter_ms: 250 },
    default_country: 'ES',
    history_import: false,
    media_max_bytes: 16_777_216,
    typing_indicator: true,
    webhook: { url: 'http://127.0.0.1:9/hooks', enabled: true, events: ['message.status', 'session.status'] },
  },
};

const storedRows = async (userId: string) =>
  h.stack.sql`select name, active, config from configuracion_mensajeria_usuario where user_id = ${userId}`;

describe('whatsapp function: /settings', () => {
  it('returns defaults before anything is saved', async () => {
    const user = await createSignedInUser(h.stack);
    const reply = await api('GET', '/settings', { token: user.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      platform: 'whatsapp', name: null, active: true, config: {}, updated_at: null,
      webhook_secret: { set: false, created_at: null },
    });
  });

  it('saves settings; the first webhook URL creates a secret returned this once and never again', async () => {
    const user = await createSignedInUser(h.stack);
    const saved = await api('PUT', '/settings', { token: user.token, json: full });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ name: 'Ventas', active: true, config: full.config, webhook_secret: { set: true } });
    const secret = saved.body.webhook_secret.value as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(saved.headers.get('cache-control')).toBe('no-store');

    const again = await api('PUT', '/settings', { token: user.token, json: { ...full, name: 'Ventas 2' } });
    expect(again.status).toBe(200);
    expect(again.body.webhook_secret).toEqual({ set: true, created_at: saved.body.webhook_secret.created_at });
    const read = await api('GET', '/settings', { token: user.token });
    expect(read.body).toMatchObject({ name: 'Ventas 2', webhook_secret: { set: true } });
    expect(JSON.stringify(read.body)).not.toContain(secret.slice(6));
    expect(JSON.stringify(again.body)).not.toContain(secret.slice(6));

    const [stored] = await h.stack.sql`select secret from messaging_webhook_secrets where user_id = ${user.id}`;
    expect(stored!.secret).toBe(secret);
  });

  it('rotates the secret (random or the caller\'s own), returning it once', async () => {
    const user = await createSignedInUser(h.stack);
    const random = await api('POST', '/settings/webhook-secret', { token: user.token });
    expect(random.status).toBe(201);
    expect(random.body.secret).toMatch(/^whsec_/);
    const own = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const chosen = await api('POST', '/settings/webhook-secret', { token: user.token, json: { secret: own } });
    expect([chosen.status, chosen.body.secret]).toEqual([201, own]);
    const [stored] = await h.stack.sql`select secret from messaging_webhook_secrets where user_id = ${user.id}`;
    expect(stored!.secret).toBe(own);
    const weak = await api('POST', '/settings/webhook-secret', { token: user.token, json: { secret: 'whsec_c2hvcnQ=' } });
    expect([weak.status, weak.body.error.code]).toEqual([400, 'invalid_webhook_secret']);
    expect((await h.stack.sql`select secret from messaging_webhook_secrets where user_id = ${user.id}`)[0]!.secret).toBe(own);
  });

  it('refuses bad input with 4xx and a stable code, and writes nothing', async () => {
    const user = await createSignedInUser(h.stack);
    const with_ = (config: object) => ({ token: user.token, json: { config } });
    const cases: [Parameters<typeof api>[2], number, string][] = [
      [{ json: full }, 401, 'auth_required'],
      [with_({ pacing: { min_interval_ms: -5 } }), 400, 'validation_failed'],
      [with_({ pacing: { min_interval_ms: 3_600_001 } }), 400, 'validation_failed'],
      [with_({ pacing: { every: 5 } }), 400, 'unknown_field'],
      [with_({ default_country: 'spain' }), 400, 'validation_failed'],
      [with_({ default_country: 'XX' }), 400, 'invalid_settings'],
      [with_({ media_max_bytes: 0 }), 400, 'validation_failed'],
      [with_({ typing_indicator: 'yes' }), 400, 'validation_failed'],
      [with_({ webhook: { url: 'ftp://crm.example.com' } }), 400, 'invalid_webhook_url'],
      [with_({ webhook: { url: 'https://u:p@crm.example.com' } }), 400, 'invalid_webhook_url'],
      [with_({ webhook: { enabled: true } }), 400, 'invalid_settings'],
      [with_({ webhook: { url: 'https://crm.example.com', secret: 'whsec_x' } }), 400, 'unknown_field'],
      [with_({ webhook: { url: 'https://crm.example.com', events: ['message.deleted'] } }), 400, 'validation_failed'],
      [with_({ colour: 'green' }), 400, 'unknown_field'],
      [{ token: user.token, json: { name: '' } }, 400, 'validation_failed'],
      [{ token: user.token, json: { active: 'no' } }, 400, 'validation_failed'],
      [{ token: user.token, json: { paused: true } }, 400, 'unknown_field'],
      [{ token: user.token, body: '{"config": ', headers: { 'Content-Type': 'application/json' } }, 400, 'invalid_json'],
      [{ token: user.token, body: 'config=1', headers: { 'Content-Type': 'text/plain' } }, 415, 'unsupported_media_type'],
      [{ token: user.token, json: { name: 'x'.repeat(140_000) } }, 413, 'payload_too_large'],
    ];
    for (const [options, status, code] of cases) {
      const reply = await api('PUT', '/settings', options);
      expect([reply.status, reply.body?.error?.code], JSON.stringify(options?.json ?? options?.body)).toEqual([status, code]);
      expect(reply.body.error.message).toEqual(expect.any(String));
    }
    const bad = await api('POST', '/settings/webhook-secret', { token: user.token, json: { secret: 'x', other: 1 } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'unknown_field']);
    expect(await storedRows(user.id)).toHaveLength(0);
    expect(await h.stack.sql`select 1 from messaging_webhook_secrets where user_id = ${user.id}`).toHaveLength(0);
  });

  it('refuses loopback and private webhook endpoints unless the deployment allows them', async () => {
    strict = await startFunctionHarness();
    const strictApi = apiCaller(strict.functionUrl);
    const user = await createSignedInUser(strict.stack);
    for (const url of ['http://127.0.0.1:8080/h', 'http://localhost/h', 'http://10.0.0.5/h', 'http://[::1]/h', 'http://169.254.169.254/']) {
      const reply = await strictApi('PUT', '/settings', { token: user.token, json: { config: { webhook: { url, enabled: true } } } });
      expect([reply.status, reply.body.error.code], url).toEqual([400, 'webhook_url_not_allowed']);
    }
    expect(await strict.stack.sql`select 1 from configuracion_mensajeria_usuario where user_id = ${user.id}`).toHaveLength(0);
    const ok = await strictApi('PUT', '/settings', { token: user.token, json: { config: { webhook: { url: 'https://crm.example.com/h', enabled: true } } } });
    expect(ok.status).toBe(200);
  }, 240_000);
});

describe('configuracion_mensajeria_usuario through supabase-js (RLS)', () => {
  it('another user can neither see nor change a user\'s settings, nor read any secret', async () => {
    const alice = await createSignedInUser(h.stack);
    const bob = await createSignedInUser(h.stack);
    expect((await api('PUT', '/settings', { token: alice.token, json: full })).status).toBe(200);

    const { data: seen, error: readError } = await bob.client.from('configuracion_mensajeria_usuario').select('*');
    expect(readError).toBeNull();
    expect(seen).toEqual([]);
    const { data: changed } = await bob.client.from('configuracion_mensajeria_usuario')
      .update({ active: false, name: 'hijacked' }).eq('user_id', alice.id).select();
    expect(changed ?? []).toEqual([]);
    const { error: spoof } = await bob.client.from('configuracion_mensajeria_usuario')
      .insert({ user_id: alice.id, config: {} });
    expect(spoof?.code).toBe('42501');
    const { error: deleteError } = await bob.client.from('configuracion_mensajeria_usuario').delete().eq('user_id', alice.id);
    expect(deleteError?.code).toBe('42501');
    const { error: secretError } = await bob.client.from('messaging_webhook_secrets').select('*');
    expect(secretError?.code).toBe('42501');
    const { error: ownSecret } = await alice.client.from('messaging_webhook_secrets').select('secret');
    expect(ownSecret?.code).toBe('42501');

    const [row] = await storedRows(alice.id);
    expect(row).toMatchObject({ name: 'Ventas', active: true });
    const { data: own } = await alice.client.from('configuracion_mensajeria_usuario').select('name, active');
    expect(own).toEqual([{ name: 'Ventas', active: true }]);
  });

  it('a direct table write with an invalid config is refused by the database', async () => {
    const carol = await createSignedInUser(h.stack);
    const { error } = await carol.client.from('configuracion_mensajeria_usuario')
      .insert({ config: { pacing: { min_interval_ms: 'fast' } } });
    expect(error?.code).toBe('23514');
    expect(await storedRows(carol.id)).toHaveLength(0);
    const { error: ok } = await carol.client.from('configuracion_mensajeria_usuario').insert({ config: { typing_indicator: true } });
    expect(ok).toBeNull();
  });
});
