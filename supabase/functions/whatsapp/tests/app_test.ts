// In-process tests of the whatsapp app (deno test): everything that needs no database or Auth server.
// Routes that touch data are covered end to end in test/e2e/function-*.test.ts against the local stack.
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { LARGEST_MESSAGE_BODY_BYTES } from '../schemas/message.ts';
import { assert, assertEquals, assertMatch } from './assert.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
// An unroutable Supabase URL: any test that reached Auth or the database would fail loudly.
const baseEnv = { SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_ANON_KEY: 'anon-key-for-in-process-tests', SUPABASE_SECRET_KEYS: '{"default":"sb_secret_for-in-process-tests"}' };
const config = loadConfig(baseEnv); // the default body limit (128 KiB)
const app = createApp(config, { logger: silent });

async function call(path: string, init?: RequestInit) {
  const res = await app.request(`/whatsapp${path}`, init);
  const text = await res.text();
  return { res, text, json: text.startsWith('{') ? JSON.parse(text) : undefined };
}

Deno.test('GET /health answers ok without sign-in', async () => {
  const { res, json } = await call('/health');
  assertEquals(res.status, 200);
  assertEquals(json.status, 'ok');
});

Deno.test('data routes refuse callers without a user token (401 auth_required)', async () => {
  for (const [method, path] of [['POST', '/sessions'], ['GET', '/sessions/current'], ['POST', '/messages'], ['GET', '/messages'], ['GET', '/conversations'],
    ['GET', '/settings'], ['PUT', '/settings'], ['POST', '/settings/webhook-secret'], ['GET', '/webhooks/events'],
    ['GET', `/webhooks/events/evt_${'0'.repeat(32)}`], ['POST', `/webhooks/events/evt_${'0'.repeat(32)}/redeliver`],
    ['POST', '/webhooks/events/redeliver']]) {
    const { res, json } = await call(path!, { method });
    assertEquals(res.status, 401, `${method} ${path}`);
    assertEquals(json.error.code, 'auth_required');
    assertEquals(res.headers.get('WWW-Authenticate'), 'Bearer');
  }
});

Deno.test('an API key is not a sign-in (401 auth_required): publishable, secret, legacy anon and service_role', async () => {
  const anonJwt = `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ role: 'anon', iss: 'supabase-demo' }))}.sig`;
  const serviceRoleJwt = `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ role: 'service_role', iss: 'supabase-demo' }))}.sig`;
  // As supabase-js sends them signed out (the same key as apikey and bearer), and as a bearer beside another apikey:
  // Supabase passes Authorization to functions untouched, and an sb_ key is never a JWT (guides/functions/auth-headers).
  for (const token of [baseEnv.SUPABASE_ANON_KEY, 'sb_publishable_abc', 'sb_secret_abc', anonJwt, serviceRoleJwt]) {
    for (const apikey of [undefined, token, 'sb_publishable_other']) {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...(apikey ? { apikey } : {}) };
      const { res, json } = await call('/sessions/current', { headers });
      assertEquals(res.status, 401, `${token} with apikey ${apikey}`);
      assertEquals(json.error.code, 'auth_required');
    }
  }
});

Deno.test('a malformed or expired token is invalid_token (401) without reaching Auth', async () => {
  const expired = ['eyJhbGciOiJIUzI1NiJ9', btoa(JSON.stringify({ sub: 'x', role: 'authenticated', exp: 1 })), 'c2ln'].join('.');
  // Three dot-separated parts that are not base64url JSON: getClaims throws ("Invalid UTF-8 sequence")
  // instead of returning an error, which was a 500 with a stack trace (issue 16, item 10).
  const undecodable = ['abc.def.ghi', 'a.b.c', '..', 'e30.e30.e30', '_-_.-_-.x', '////.++++.====', 'eyJhbGciOiJFUzI1NiJ9.abc.def'];
  // `alg: none` (and any algorithm Supabase does not sign with) is refused without asking anyone.
  const claims = btoa(JSON.stringify({ sub: 'x', role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 600 }));
  const unsigned = [`${btoa(JSON.stringify({ alg: 'none' }))}.${claims}.`, `${btoa(JSON.stringify({ alg: 'HS512' }))}.${claims}.c2ln`];
  for (const token of ['not-a-jwt', expired, ...undecodable, ...unsigned]) {
    const { res, json } = await call('/messages', { headers: { Authorization: `Bearer ${token}` } });
    assertEquals(res.status, 401, token);
    assertEquals(json.error.code, 'invalid_token');
  }
});

Deno.test('an oversized body is refused with 413 before anything else', async () => {
  const { res, json } = await call('/messages', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: '+14155552671', text: 'x'.repeat(config.maxBodyBytes) }),
  });
  assertEquals(res.status, 413);
  assertEquals(json.error.code, 'payload_too_large');
});

Deno.test('the largest message the API accepts fits the default body limit: a 64 KiB preview, a full caption, every field escaped', async () => {
  // JSON as an encoder that escapes every non-ASCII character writes it (\\uXXXX per UTF-16 unit): 12 bytes per emoji
  const escaped = (units: number) => '\\ud83d\\ude00'.repeat(units / 2);
  const preview = `data:image/jpeg;base64,${btoa(String.fromCharCode(0xff, 0xd8, 0xff, ...new Array(65_533).fill(7)))}`;
  const body = `{"session_id":"${crypto.randomUUID()}","to":"${escaped(64)}","content_type":"document","text":"${escaped(2048)}",` +
    `"media_path":"${escaped(1024)}","media_file_name":"${escaped(254)}","quoted_wa_message_id":"${escaped(128)}",` +
    `"media_thumbnail":"${preview}","idempotency_key":"${escaped(200)}"}`;
  assertEquals(JSON.parse(body).text.length, 2048); // 1024 code points, the caption's bound
  assert(body.length > 108_000 && body.length <= LARGEST_MESSAGE_BODY_BYTES, String(body.length));
  const res = await app.request('/whatsapp/messages', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  assertEquals(res.status, 401); // past the body limit, on to sign-in
  assertEquals((await res.json()).error.code, 'auth_required');
});

Deno.test('an oversized streamed body (no Content-Length) is refused with 413', async () => {
  const chunk = new TextEncoder().encode('x'.repeat(config.maxBodyBytes / 2 + 1));
  const body = new ReadableStream({ start(c) { c.enqueue(chunk); c.enqueue(chunk); c.close(); } });
  const res = await app.request('/whatsapp/messages', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  assertEquals(res.status, 413);
});

Deno.test('unknown routes are 404 route_not_found in the error envelope', async () => {
  const { res, json } = await call('/nope');
  assertEquals(res.status, 404);
  assertEquals(json.error.code, 'route_not_found');
});

Deno.test('CORS preflight allows the headers the browser and supabase-js send', async () => {
  // supabase-js's own list for Edge Functions (@supabase/supabase-js/cors SUPABASE_HEADERS, x-retry-count
  // included: postgrest-js sends it on retried GETs) and our Idempotency-Key.
  const wanted = ['authorization', 'x-client-info', 'apikey', 'content-type', 'x-retry-count', 'idempotency-key'];
  const res = await app.request('/whatsapp/messages', {
    method: 'OPTIONS',
    headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': wanted.join(',') },
  });
  assertEquals(res.status, 204);
  assertEquals(res.headers.get('Access-Control-Allow-Origin'), '*');
  const allowed = (res.headers.get('Access-Control-Allow-Headers') ?? '').toLowerCase().split(/\s*,\s*/);
  assertEquals(wanted.filter((header) => !allowed.includes(header)), []);
});

Deno.test('CORS only echoes configured origins, on errors too', async () => {
  const strict = createApp(loadConfig({ ...baseEnv, WHATSAPP_ALLOWED_ORIGINS: 'https://crm.example.com, https://app.example.com' }), { logger: silent });
  const ok = await strict.request('/whatsapp/messages', { headers: { Origin: 'https://app.example.com' } });
  assertEquals(ok.status, 401);
  assertEquals(ok.headers.get('Access-Control-Allow-Origin'), 'https://app.example.com');
  const other = await strict.request('/whatsapp/health', { headers: { Origin: 'https://evil.example' } });
  assertEquals(other.headers.get('Access-Control-Allow-Origin'), null);
});

Deno.test('the OpenAPI document is 3.0, lists every route with responses, and resolves its refs', async () => {
  const { res, json: doc } = await call('/openapi.json');
  assertEquals(res.status, 200);
  assertMatch(doc.openapi, /^3\.0\.\d$/);
  const ops = Object.entries(doc.paths as Record<string, Record<string, { responses: object }>>)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  const expected = [
    'GET /whatsapp/conversations', 'GET /whatsapp/docs', 'GET /whatsapp/health', 'GET /whatsapp/messages',
    'GET /whatsapp/messages/{direction}/{id}/thumbnail', 'GET /whatsapp/openapi.json',
    'GET /whatsapp/sessions/current', 'GET /whatsapp/sessions/{id}', 'POST /whatsapp/messages', 'POST /whatsapp/sessions',
    'POST /whatsapp/sessions/{id}/disconnect', 'POST /whatsapp/sessions/{id}/logout', 'POST /whatsapp/sessions/{id}/reconnect',
    'GET /whatsapp/settings', 'PUT /whatsapp/settings', 'POST /whatsapp/settings/webhook-secret',
    'GET /whatsapp/webhooks/events', 'GET /whatsapp/webhooks/events/{id}', 'POST /whatsapp/webhooks/events/{id}/redeliver',
    'POST /whatsapp/webhooks/events/redeliver',
    'POST /whatsapp/messages/{wa_message_id}/reaction', 'DELETE /whatsapp/messages/{wa_message_id}/reaction',
    'POST /whatsapp/messages/{wa_message_id}/edit', 'POST /whatsapp/messages/{wa_message_id}/revoke',
    'POST /whatsapp/messages/{wa_message_id}/read', 'POST /whatsapp/messages/{wa_message_id}/reply',
    'POST /whatsapp/conversations/{contact_id}/read',
  ].sort();
  assertEquals(ops, expected);
  for (const ref of JSON.stringify(doc).match(/"#\/components\/[^"]+"/g) ?? []) {
    const [, kind, name] = JSON.parse(ref).split('/').slice(1);
    assert(doc.components[kind]?.[name], `unresolved ${ref}`);
  }
  assertEquals(doc.components.schemas.SendMessage.additionalProperties, false);
  assert(doc.components.securitySchemes.bearerAuth);
  // a listed message documents its timeline, and the list its one-chat filter
  const listed = doc.components.schemas.ListedMessage;
  for (const field of ['pending', 'edited_at', 'previous_texts', 'deleted_at', 'imported', 'reactions']) {
    assert(listed.required.includes(field) && listed.properties[field].description, `ListedMessage.${field}`);
  }
  const listParams = doc.paths['/whatsapp/messages'].get.parameters.map((p: { name: string }) => p.name);
  assert(listParams.includes('contact_id'), 'GET /messages?contact_id');
});

Deno.test('GET /docs is a self-contained page listing every route with curl examples', async () => {
  const { res, text } = await call('/docs');
  assertEquals(res.status, 200);
  assertMatch(res.headers.get('Content-Type') ?? '', /text\/html/);
  assert(!/<script[^>]+src=/i.test(text), 'no external scripts');
  assert(!/<link[^>]+href="(?!data:)/i.test(text), 'no external styles or icons');
  for (const path of ['/whatsapp/sessions', '/whatsapp/sessions/current', '/whatsapp/sessions/{id}/logout', '/whatsapp/messages', '/whatsapp/health']) {
    assert(text.includes(`<code>${path}</code>`), path);
  }
  assert(text.includes('curl -X POST'), 'curl examples');
});

Deno.test('Auth unreachable (JWKS for ES256, /auth/v1/user for HS256) is 503 auth_unavailable, with the cause logged', async () => {
  const logged: unknown[] = [];
  const logger = { ...silent, error: (msg: string, fields?: Record<string, unknown>) => void logged.push({ msg, ...fields }) };
  const unreachable = createApp(loadConfig(baseEnv), { logger });
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const claims = b64({ sub: crypto.randomUUID(), role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 600 });
  for (const header of [{ alg: 'ES256', kid: 'key-1' }, { alg: 'HS256' }]) {
    const res = await unreachable.request('/whatsapp/sessions/current', { headers: { Authorization: `Bearer ${b64(header)}.${claims}.c2ln` } });
    assertEquals(res.status, 503, header.alg);
    assertEquals((await res.json()).error.code, 'auth_unavailable');
  }
  assertEquals(logged.length, 2);
  assertMatch(JSON.stringify(logged[0]), /"cause":\{"name":"TypeError"/); // jose's fetch of the JWKS
  assertMatch(JSON.stringify(logged[1]), /"cause":\{"name":"AuthRetryableFetchError"/);
});
