// The whatsapp Edge Function in the legacy JWT mode (HS256, a project that has not moved to signing keys):
// the local stack started with `jwtAlgorithm: 'HS256'` signs users' access tokens with the JWT secret and
// serves an empty JWKS, so the function cannot verify them itself (it gets no JWT secret) and asks Auth
// (supabase-js getClaims → GET /auth/v1/user). Real Deno, real function, real Auth. The ES256 mode is
// covered by every other function-*.test.ts; Auth unreachable (503) by the deno test app_test.ts.
import { decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness, type TestUser } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
let owner: TestUser;
let other: TestUser;
let sessionId: string;

beforeAll(async () => {
  h = await startFunctionHarness({}, { jwtAlgorithm: 'HS256' });
  api = apiCaller(h.functionUrl);
  owner = await createSignedInUser(h.stack);
  other = await createSignedInUser(h.stack);
}, 240_000);
afterAll(async () => { await h?.stop(); });

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const count = async (table: 'whatsapp_sessions' | 'session_commands', userId: string) =>
  Number((await h.stack.sql`select count(*)::int as n from ${h.stack.sql(table)} where user_id = ${userId}`)[0]!.n);

describe('whatsapp function with legacy HS256 user tokens', () => {
  it('the stack is in the legacy mode: HS256 tokens without a kid, an empty JWKS', async () => {
    expect(decodeProtectedHeader(owner.token)).toMatchObject({ alg: 'HS256' });
    expect(decodeProtectedHeader(owner.token).kid).toBeUndefined();
    const jwks = await (await fetch(`${h.stack.url}/auth/v1/.well-known/jwks.json`)).json();
    expect(jwks).toEqual({ keys: [] });
  });

  it('a valid HS256 user token reaches the function, which writes and reads that user\'s own data', async () => {
    const created = await api('POST', '/sessions', { token: owner.token });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sessionId = created.body.id as string;
    expect((await h.stack.sql`select user_id from whatsapp_sessions where id = ${sessionId}`)[0]!.user_id).toBe(owner.id);

    const current = await api('GET', '/sessions/current', { token: owner.token });
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ id: sessionId });
    const byId = await api('GET', `/sessions/${sessionId}`, { token: owner.token });
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(sessionId);

    // RLS still decides with the caller's HS256 token: another user's token does not see the session.
    expect((await api('GET', `/sessions/${sessionId}`, { token: other.token })).status).toBe(404);
    expect((await api('GET', '/sessions/current', { token: other.token })).body.error.code).toBe('no_session');
  });

  it('an HS256 token signed with another secret is 401 invalid_token, and nothing is written', async () => {
    const claims = claimsOf(owner.token);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('another-project-secret-another-project-secret'));
    const expired = await new SignJWT({ ...claims, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(h.stack.jwtSecret));
    const sessionsBefore = await count('whatsapp_sessions', owner.id);
    const commandsBefore = await count('session_commands', owner.id);
    for (const [name, token] of Object.entries({ forged, expired })) {
      for (const [method, path] of [['GET', '/sessions/current'], ['POST', `/sessions/${sessionId}/disconnect`], ['POST', '/sessions']] as const) {
        const reply = await api(method, path, { token });
        expect(reply.status, `${name} ${method} ${path}`).toBe(401);
        expect(reply.body.error.code, `${name} ${method} ${path}`).toBe('invalid_token');
        expect(reply.headers.get('www-authenticate')).toContain('invalid_token');
      }
    }
    expect(await count('whatsapp_sessions', owner.id)).toBe(sessionsBefore);
    expect(await count('session_commands', owner.id)).toBe(commandsBefore);
    // The genuine token still works after the refusals (they did not poison anything).
    expect((await api('GET', '/sessions/current', { token: owner.token })).status).toBe(200);
  });
});
