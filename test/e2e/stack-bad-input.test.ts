// What the gateway answers to bad input: missing keys, bad JWTs, unknown names, injection attempts in
// identifiers and filters, malformed and oversized bodies. Raw fetch, because supabase-js would not
// send most of these. After each, nothing was written and the gateway keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let user: SignedUpUser;
let sessionId: string;

beforeAll(async () => {
  stack = await startTestStack({ maxBodyBytes: 256 * 1024 });
  user = await stack.signUp();
  const { data, error } = await user.client.rpc('request_whatsapp_link');
  if (error) throw error;
  sessionId = (data as { id: string }).id;
});
afterAll(() => stack?.stop());

function rest(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers: Record<string, string> = { apikey: stack.publishableKey, 'content-type': 'application/json', ...(init.headers as Record<string, string>) };
  const token = init.token === undefined ? user.accessToken : init.token;
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${stack.url}/rest/v1${path}`, { ...init, headers });
}

async function expectError(response: Response, status: number, code: string | string[]) {
  const body = (await response.json()) as Record<string, unknown>;
  const codes = Array.isArray(code) ? code : [code];
  expect({ status: response.status, code: codes.includes(body.code as string) ? codes : body.code }).toEqual({ status, code: codes });
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'hint', 'message']);
  return body;
}

async function messageCount(): Promise<number> {
  const [row] = await stack.sql`select count(*)::int as n from outbound_messages where user_id = ${user.user.id}`;
  return row!.n as number;
}

async function assertStillServing() {
  const ok = await rest(`/whatsapp_sessions?select=id&id=eq.${sessionId}`);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual([{ id: sessionId }]);
}

describe('gateway: API key and CORS', () => {
  it('refuses requests without an API key like Kong (401 "No API key found in request")', async () => {
    const res = await fetch(`${stack.url}/rest/v1/whatsapp_sessions`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'No API key found in request' });
    const auth = await fetch(`${stack.url}/auth/v1/settings`);
    expect(auth.status).toBe(401);
    const wrong = await fetch(`${stack.url}/rest/v1/whatsapp_sessions`, { headers: { apikey: 'not-a-key' } });
    expect(wrong.status).toBe(401);
  });

  it('answers CORS preflights and adds CORS headers to responses', async () => {
    const pre = await fetch(`${stack.url}/rest/v1/outbound_messages`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,apikey,content-type,prefer' },
    });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(pre.headers.get('access-control-allow-headers')).toContain('prefer');
    expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');
    const res = await rest('/whatsapp_sessions?select=id', { headers: { origin: 'http://localhost:5173' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    // Every response header supabase-js reads must be readable by a browser's fetch.
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(',');
    for (const name of ['content-range', 'retry-after', 'x-total-count', 'link', 'x-supabase-api-version', 'content-type', 'content-length']) {
      expect(exposed).toContain(name);
    }
  });
});

describe('rest: JWTs', () => {
  it('a malformed JWT is 401 PGRST301', async () => {
    await expectError(await rest('/whatsapp_sessions', { token: 'not.a-jwt' }), 401, 'PGRST301');
    await expectError(await rest('/whatsapp_sessions', { token: 'garbage' }), 401, 'PGRST301');
  });

  it('a JWT signed with another secret is 401 PGRST301', async () => {
    const forged = await new SignJWT({ role: 'service_role' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    await expectError(await rest('/outbound_messages', { token: forged }), 401, 'PGRST301');
  });

  it('an expired JWT is 401 PGRST303', async () => {
    const expired = await new SignJWT({ role: 'authenticated', sub: user.user.id }).setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(stack.jwtSecret));
    const res = await rest('/whatsapp_sessions', { token: expired });
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    await expectError(res, 401, 'PGRST303');
  });

  it('/auth/v1/user without a bearer token is 401, with a broken one 403 bad_jwt', async () => {
    const none = await fetch(`${stack.url}/auth/v1/user`, { headers: { apikey: stack.publishableKey } });
    expect(none.status).toBe(401);
    const broken = await fetch(`${stack.url}/auth/v1/user`, { headers: { apikey: stack.publishableKey, authorization: 'Bearer x.y.z' } });
    expect(broken.status).toBe(403);
    expect(await broken.json()).toMatchObject({ error_code: 'bad_jwt' });
  });
});

describe('rest: unknown names and injection attempts', () => {
  it('an unknown table is 404 PGRST205, an unknown column 400 (42703 in select/filters, PGRST204 in a body)', async () => {
    await expectError(await rest('/no_such_table'), 404, 'PGRST205');
    await expectError(await rest('/whatsapp_sessions?select=id,no_such_column'), 400, '42703');
    await expectError(await rest('/whatsapp_sessions?no_such_column=eq.1'), 400, '42703');
    await expectError(await rest('/whatsapp_sessions?order=no_such_column.desc'), 400, '42703');
    await expectError(
      await rest('/outbound_messages', { method: 'POST', body: JSON.stringify({ session_id: sessionId, recipient: '+15551234567', text: 'x', evil: 1 }) }),
      400, 'PGRST204',
    );
  });

  it('SQL in identifiers never reaches Postgres: table, select, order, on_conflict, columns', async () => {
    const before = await messageCount();
    await expectError(await rest('/outbound_messages;drop%20table%20outbound_messages'), 404, 'PGRST205');
    await expectError(await rest('/outbound_messages?select=*;drop%20table%20outbound_messages'), 400, '42703');
    await expectError(await rest('/outbound_messages?select=id%22);drop%20table%20outbound_messages;--'), 400, ['PGRST100', '42703']);
    await expectError(await rest('/outbound_messages?select=id::text;drop%20table%20x'), 400, 'PGRST100');
    await expectError(await rest('/outbound_messages?order=id;delete%20from%20outbound_messages'), 400, '42703');
    await expectError(await rest('/outbound_messages?%22id%22%22=eq.1'), 400, '42703');
    await expectError(
      await rest('/outbound_messages?on_conflict=id);delete%20from%20outbound_messages;--', {
        method: 'POST', headers: { prefer: 'resolution=merge-duplicates' },
        body: JSON.stringify({ session_id: sessionId, recipient: '+15551234567', text: 'x' }),
      }),
      400, '42703',
    );
    await expectError(
      await rest('/outbound_messages?columns=%22text%22)%20select%201;--', { method: 'POST', body: JSON.stringify([{ text: 'x' }]) }),
      400, 'PGRST204',
    );
    await expectError(await rest('/rpc/request_whatsapp_link;drop%20table%20x', { method: 'POST', body: '{}' }), 404, 'PGRST202');
    expect(await messageCount()).toBe(before);
    const [tables] = await stack.sql`select count(*)::int as n from pg_tables where schemaname = 'public' and tablename = 'outbound_messages'`;
    expect(tables?.n).toBe(1);
    await assertStillServing();
  });

  it('SQL in filter values is bound as a parameter, never interpolated', async () => {
    await queue('injection probe');
    const before = await messageCount();
    await expectError(await rest(`/outbound_messages?id=eq.1);delete%20from%20outbound_messages;--`), 400, '22P02');
    const viaText = await rest(`/outbound_messages?select=id&text=eq.x'%20or%20'1'='1`);
    expect(viaText.status).toBe(200);
    expect(await viaText.json()).toEqual([]);
    const viaIn = await rest(`/outbound_messages?select=id&text=in.(x'%20or%20'1'='1,y)`);
    expect(await viaIn.json()).toEqual([]);
    await expectError(await rest(`/outbound_messages?select=id&text=in.(x')%20or%20true;--,y)`), 400, 'PGRST100');
    const viaOr = await rest(`/outbound_messages?select=id&or=(text.eq.x,text.eq.y'%20or%20true;--)`);
    expect(viaOr.status).toBe(200);
    expect(await viaOr.json()).toEqual([]);
    await expectError(await rest(`/outbound_messages?select=id&or=(text.eq.x,text.eq.y'))%20or%20true;--)`), 400, 'PGRST100');
    const viaLike = await rest(`/outbound_messages?select=text&text=like.*probe`);
    expect(await viaLike.json()).toEqual([{ text: 'injection probe' }]);
    await expectError(await rest('/outbound_messages?text=evil.x'), 400, 'PGRST100');
    await expectError(await rest('/outbound_messages?text=is.nullx'), 400, 'PGRST100');
    await expectError(await rest('/outbound_messages?limit=1;drop'), 400, 'PGRST100');
    expect(await messageCount()).toBe(before);
    await assertStillServing();
  });

  it('rpc arguments are checked against the function: unknown ones are 404 PGRST202', async () => {
    const res = await rest('/rpc/request_whatsapp_link', { method: 'POST', body: JSON.stringify({ 'p_link_method) ;drop': 'qr' }) });
    await expectError(res, 404, 'PGRST202');
  });
});

describe('rest and gateway: bodies', () => {
  it('malformed JSON is 400 PGRST102 and writes nothing', async () => {
    const before = await messageCount();
    await expectError(await rest('/outbound_messages', { method: 'POST', body: '{"session_id": ' }), 400, 'PGRST102');
    await expectError(await rest('/outbound_messages', { method: 'POST', body: '"just a string"' }), 400, 'PGRST102');
    expect(await messageCount()).toBe(before);
  });

  it.skipIf(Boolean(process.env.SUPABASE_URL))('an oversized body is 413 on every service and the gateway keeps serving', async () => {
    const before = await messageCount();
    const big = JSON.stringify({ session_id: sessionId, recipient: '+15551234567', text: 'x'.repeat(300 * 1024) });
    const res = await rest('/outbound_messages', { method: 'POST', body: big });
    expect(res.status).toBe(413);
    const auth = await fetch(`${stack.url}/auth/v1/signup`, { method: 'POST', headers: { apikey: stack.publishableKey, 'content-type': 'application/json' }, body: big });
    expect(auth.status).toBe(413);
    expect(await messageCount()).toBe(before);
    await assertStillServing();
  });

  it('a check constraint violation is 400 with the SQLSTATE, and nothing is written', async () => {
    const before = await messageCount();
    const { status, error } = await user.client.from('outbound_messages').insert({ session_id: sessionId, recipient: 'not a number', text: 'x' });
    expect(status).toBe(400);
    expect(error?.code).toBe('23514');
    expect(await messageCount()).toBe(before);
  });
});

async function queue(text: string) {
  const { error } = await user.client.from('outbound_messages').insert({ session_id: sessionId, recipient: '+15551234567', text });
  if (error) throw error;
}
