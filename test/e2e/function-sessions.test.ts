// The whatsapp Edge Function end to end (real Deno behind the local stack, real supabase-js and fetch):
// health, docs, OpenAPI, auth refusals, and the /sessions routes for two isolated users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionsHttpError } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness, type TestUser } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  h = await startFunctionHarness();
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => { await h?.stop(); });

const countSessions = async (userId: string) =>
  Number((await h.stack.sql`select count(*)::int as n from whatsapp_sessions where user_id = ${userId}`)[0]!.n);
const countCommands = async (userId: string) =>
  Number((await h.stack.sql`select count(*)::int as n from session_commands where user_id = ${userId}`)[0]!.n);

async function linkedSession(user: TestUser) {
  const created = await api('POST', '/sessions', { token: user.token });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe('whatsapp function: meta routes', () => {
  it('GET /health answers through the gateway, with fetch and with functions.invoke', async () => {
    const reply = await api('GET', '/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'ok', service: 'whatsapp' });
    const user = await createSignedInUser(h.stack);
    const { data, error } = await user.client.functions.invoke('whatsapp/health', { method: 'GET' });
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: 'ok' });
  });

  it('GET /openapi.json is a valid OpenAPI 3.0 document listing every route the function serves', async () => {
    const { status, body: doc } = await api('GET', '/openapi.json');
    expect(status).toBe(200);
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.servers[0].url).toBe(`${h.stack.url}/functions/v1`);
    const listed = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(listed).toEqual([
      'DELETE /whatsapp/messages/{wa_message_id}/reaction',
      'GET /whatsapp/conversations', 'GET /whatsapp/docs', 'GET /whatsapp/health', 'GET /whatsapp/messages',
      'GET /whatsapp/messages/{direction}/{id}/thumbnail', 'GET /whatsapp/openapi.json',
      'GET /whatsapp/sessions/current', 'GET /whatsapp/sessions/{id}', 'GET /whatsapp/settings',
      'GET /whatsapp/webhooks/events', 'GET /whatsapp/webhooks/events/{id}', 'POST /whatsapp/conversations/{contact_id}/read',
      'POST /whatsapp/messages', 'POST /whatsapp/messages/{wa_message_id}/edit', 'POST /whatsapp/messages/{wa_message_id}/reaction',
      'POST /whatsapp/messages/{wa_message_id}/read', 'POST /whatsapp/messages/{wa_message_id}/reply', 'POST /whatsapp/messages/{wa_message_id}/revoke',
      'POST /whatsapp/sessions', 'POST /whatsapp/sessions/{id}/disconnect', 'POST /whatsapp/sessions/{id}/logout',
      'POST /whatsapp/sessions/{id}/reconnect', 'POST /whatsapp/settings/webhook-secret',
      'POST /whatsapp/webhooks/events/redeliver', 'POST /whatsapp/webhooks/events/{id}/redeliver', 'PUT /whatsapp/settings',
    ]);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses ?? {}).length, `${method} ${path} responses`).toBeGreaterThan(0);
        for (const param of path.match(/\{(\w+)\}/g) ?? []) {
          const name = param.slice(1, -1);
          expect(op.parameters?.some((p: any) => p.in === 'path' && p.name === name && p.required), `${method} ${path} ${name}`).toBe(true);
        }
      }
    }
    // Every $ref resolves, and the request schemas are the strict ones that validate requests.
    for (const ref of JSON.stringify(doc).match(/"#\/components\/[^"]+"/g) ?? []) {
      const [, kind, name] = JSON.parse(ref).split('/').slice(1);
      expect(doc.components[kind]?.[name], ref).toBeDefined();
    }
    // text or media (content_type + media_path), to `to` or `contact_id` (one of them): checked beyond the schema
    expect(doc.components.schemas.SendMessage).toMatchObject({ additionalProperties: false });
    expect(doc.components.schemas.SendMessage.required ?? []).toEqual([]);
    expect(Object.keys(doc.components.schemas.SendMessage.properties)).toEqual([
      'session_id', 'to', 'contact_id', 'content_type', 'text', 'media_path', 'media_file_name', 'quoted_wa_message_id', 'media_thumbnail', 'idempotency_key',
    ]);
    expect(doc.components.schemas.SendMessage.properties.content_type.enum).toEqual(['text', 'image', 'video', 'audio', 'voice', 'document', 'sticker']);
    expect(Object.keys(doc.components.schemas.Session.properties)).toEqual([
      'id', 'status', 'active', 'link_method', 'phone_number', 'push_name', 'qr', 'pairing_code', 'last_error', 'last_disconnect_code',
      'connected_at', 'disconnected_at', 'last_activity_at', 'restricted_until', 'restriction_kind', 'created_at', 'updated_at',
    ]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('GET /docs is a self-contained HTML page with every route and a curl example for each', async () => {
    const { status, headers, body } = await api('GET', '/docs');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/text\/html/);
    expect(body).not.toMatch(/<script[^>]+src=/i);
    for (const route of ['POST</span> <code>/whatsapp/sessions</code>', 'GET</span> <code>/whatsapp/messages</code>', '<code>/whatsapp/sessions/{id}/logout</code>']) {
      expect(body).toContain(route);
    }
    expect((body as string).match(/curl -X/g)?.length).toBe(27);
  });
});

describe('whatsapp function: authentication', () => {
  it('refuses requests without a user token: 401 auth_required (no header, anon key, publishable key)', async () => {
    for (const token of [undefined, h.stack.anonKey, h.stack.publishableKey]) {
      const reply = await api('GET', '/sessions/current', { token });
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('auth_required');
    }
  });

  it('refuses malformed, tampered and expired tokens: 401 invalid_token, nothing written', async () => {
    const user = await createSignedInUser(h.stack);
    const [header, payload] = user.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).toString('base64url')}.${user.token.split('.')[2]}`;
    const expired = `${header}.${Buffer.from(JSON.stringify({ ...claims, exp: 1000 })).toString('base64url')}.${user.token.split('.')[2]}`;
    const refused = ['garbage', 'abc.def.ghi', `${user.token}x`, forged, expired];
    if (h.stack.jwtKeys) {
      // Signed by this project's own ES256 key, but issued for another project: the issuer is checked.
      refused.push(await h.stack.jwtKeys.sign(new SignJWT({ ...claims, iss: 'https://another-project.supabase.co/auth/v1' })));
    }
    for (const token of refused) {
      const reply = await api('POST', '/sessions', { token, json: {} });
      expect(reply.status, token.slice(-12)).toBe(401);
      expect(reply.body.error.code).toBe('invalid_token');
    }
    // API keys identify the app, not a user.
    for (const token of [h.stack.serviceRoleKey, h.stack.secretKey, h.stack.publishableKey, h.stack.anonKey]) {
      const reply = await api('POST', '/sessions', { token, json: {} });
      expect(reply.status, token.slice(0, 16)).toBe(401);
      expect(reply.body.error.code).toBe('auth_required');
    }
    expect(await countSessions(user.id)).toBe(0);
  });

  it('supabase-js functions.invoke without a session gets the 401 error envelope', async () => {
    const anon = h.stack.client();
    const { data, error } = await anon.functions.invoke('whatsapp/sessions', { body: {} });
    expect(data).toBeNull();
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const res = (error as FunctionsHttpError).context as Response;
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'auth_required', message: expect.any(String) } });
  });
});

describe('whatsapp function: sessions', () => {
  it('POST /sessions starts a QR link (201) and returns the same session while it is active (200)', async () => {
    const user = await createSignedInUser(h.stack);
    const { data, error } = await user.client.functions.invoke('whatsapp/sessions', { body: { method: 'qr' } });
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: 'new', active: true, link_method: 'qr', qr: null, phone_number: null });
    const again = await api('POST', '/sessions', { token: user.token });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(data.id);
    expect(await countSessions(user.id)).toBe(1);
    const commands = await h.stack.sql`select command, status from session_commands where session_id = ${data.id}`;
    expect(commands).toEqual([{ command: 'connect', status: 'pending' }]);
  });

  it('POST /sessions with a pairing code normalizes the phone (default country) into the connect command', async () => {
    const user = await createSignedInUser(h.stack);
    const reply = await api('POST', '/sessions', { token: user.token, json: { method: 'pairing_code', phone: '(415) 555-2671' } });
    expect(reply.status).toBe(201);
    expect(reply.body.link_method).toBe('pairing_code');
    const [row] = await h.stack.sql`select s.pairing_phone, c.payload from whatsapp_sessions s join session_commands c on c.session_id = s.id
                                   where s.id = ${reply.body.id}`;
    expect(row).toEqual({ pairing_phone: '+14155552671', payload: { method: 'pairing_code', phone: '+14155552671' } });
  });

  it('POST /sessions refuses bad input with stable codes and writes nothing', async () => {
    const user = await createSignedInUser(h.stack);
    const cases: [unknown, string | undefined, number, string][] = [
      [{ method: 'pairing_code' }, undefined, 400, 'phone_required'],
      [{ method: 'pairing_code', phone: '12' }, undefined, 400, 'invalid_phone_number'],
      [{ method: 'carrier-pigeon' }, undefined, 400, 'validation_failed'],
      [{ method: 'qr', admin: true }, undefined, 400, 'unknown_field'],
      ['{"method": "qr"', 'application/json', 400, 'invalid_json'],
      ['method=qr', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
    ];
    for (const [body, type, status, code] of cases) {
      const reply = typeof body === 'string'
        ? await api('POST', '/sessions', { token: user.token, body, headers: { 'Content-Type': type! } })
        : await api('POST', '/sessions', { token: user.token, json: body });
      expect([reply.status, reply.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
      expect(reply.body.error.message).toEqual(expect.any(String));
    }
    expect(await countSessions(user.id)).toBe(0);
    expect(await countCommands(user.id)).toBe(0);
  });

  it('GET /sessions/current: 404 no_session first, then the session with its QR code and expiry', async () => {
    const user = await createSignedInUser(h.stack);
    const none = await api('GET', '/sessions/current', { token: user.token });
    expect([none.status, none.body.error.code]).toEqual([404, 'no_session']);
    const id = await linkedSession(user);
    await h.stack.sql`update whatsapp_sessions set status = 'qr', qr = '2@qr-payload', qr_expires_at = now() + interval '20 seconds' where id = ${id}`;
    const current = await api('GET', '/sessions/current', { token: user.token });
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ id, status: 'qr', qr: { value: '2@qr-payload', expires_at: expect.any(String) } });
    const byId = await api('GET', `/sessions/${id}`, { token: user.token });
    expect(byId.body).toEqual(current.body);
    expect(current.body).toMatchObject({ restricted_until: null, restriction_kind: null });
  });

  it('GET /sessions/current shows an account restriction (restricted_until, restriction_kind) while the session stays connected', async () => {
    const user = await createSignedInUser(h.stack);
    const id = await linkedSession(user);
    await h.stack.sql`update whatsapp_sessions set status = 'connected', phone_number = '+14155550100', connected_at = now(),
      restricted_until = '2026-12-08T10:00:00Z', restriction_kind = 'RESTRICT_ALL_COMPANIONS' where id = ${id}`;
    const current = await api('GET', '/sessions/current', { token: user.token });
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ id, status: 'connected', restriction_kind: 'RESTRICT_ALL_COMPANIONS' });
    expect(new Date(current.body.restricted_until).toISOString()).toBe('2026-12-08T10:00:00.000Z');
  });

  it('GET /sessions/current falls back to the latest ended session, showing why it ended', async () => {
    const user = await createSignedInUser(h.stack);
    const id = await linkedSession(user);
    await h.stack.sql`update whatsapp_sessions set status = 'logged_out', last_error = 'logged out from the phone' where id = ${id}`;
    const current = await api('GET', '/sessions/current', { token: user.token });
    expect(current.body).toMatchObject({ id, status: 'logged_out', active: false, last_error: 'logged out from the phone' });
  });

  it('session commands: 202 with the command row; 409 when the state forbids it; 400 for a non-uuid id', async () => {
    const user = await createSignedInUser(h.stack);
    const id = await linkedSession(user);
    const never = await api('POST', `/sessions/${id}/reconnect`, { token: user.token });
    expect([never.status, never.body.error.code]).toEqual([409, 'session_state_conflict']);
    const phone = `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    await h.stack.sql`update whatsapp_sessions set status = 'connected', phone_number = ${phone}, connected_at = now() where id = ${id}`;
    for (const command of ['reconnect', 'disconnect', 'logout']) {
      const reply = await api('POST', `/sessions/${id}/${command}`, { token: user.token });
      expect(reply.status).toBe(202);
      expect(reply.body).toMatchObject({ session_id: id, command, status: 'pending', error: null, id: expect.any(Number) });
    }
    await h.stack.sql`update whatsapp_sessions set status = 'logged_out' where id = ${id}`;
    const after = await api('POST', `/sessions/${id}/disconnect`, { token: user.token });
    expect([after.status, after.body.error.code]).toEqual([409, 'session_state_conflict']);
    const bad = await api('POST', '/sessions/not-a-uuid/logout', { token: user.token });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);
  });

  it('two users are isolated: another user\'s session is 404 for reads and commands, and nothing is queued', async () => {
    const alice = await createSignedInUser(h.stack);
    const bob = await createSignedInUser(h.stack);
    const id = await linkedSession(alice);
    const read = await api('GET', `/sessions/${id}`, { token: bob.token });
    expect([read.status, read.body.error.code]).toEqual([404, 'session_not_found']);
    const { error } = await bob.client.functions.invoke(`whatsapp/sessions/${id}/logout`, { method: 'POST' });
    expect(((error as FunctionsHttpError).context as Response).status).toBe(404);
    expect((await api('GET', '/sessions/current', { token: bob.token })).status).toBe(404);
    const commands = await h.stack.sql`select command from session_commands where session_id = ${id}`;
    expect(commands).toEqual([{ command: 'connect' }]);
  });
});

describe('whatsapp function: CORS, empty bodies and unknown errors', () => {
  it('answers the browser\'s CORS preflight through the gateway, allowing the Idempotency-Key header', async () => {
    const res = await fetch(`${h.functionUrl}/messages`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/i);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  it('POST /sessions with a JSON content type and an empty body means "link with a QR code"', async () => {
    const user = await createSignedInUser(h.stack);
    const reply = await api('POST', '/sessions', { token: user.token, body: '', headers: { 'Content-Type': 'application/json' } });
    expect(reply.status).toBe(201);
    expect(reply.body.link_method).toBe('qr');
  });

  // Runs last in this file: it breaks the rate-limit function of this file's own database on purpose.
  it('an unexpected database error is a 500 internal_error that reveals nothing of the cause', async () => {
    await h.stack.sql.unsafe(`
      create or replace function public.consume_api_rate_limit(p_user uuid, p_bucket text, p_limit integer, p_window_seconds integer)
        returns table (allowed boolean, retry_after_seconds integer) language plpgsql as $$
        begin raise exception 'secret internal detail' using errcode = 'XX000'; end $$`);
    const user = await createSignedInUser(h.stack);
    const reply = await api('POST', '/sessions', { token: user.token });
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(JSON.stringify(reply.body)).not.toMatch(/secret|XX000/);
    expect(await countSessions(user.id)).toBe(0);
  });
});
