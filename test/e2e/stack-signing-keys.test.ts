// Asymmetric JWTs as on a Supabase project created today: the local Auth signs access tokens with an
// ES256 key, serves its public half at /auth/v1/.well-known/jwks.json (no API key needed), supabase-js
// getClaims() verifies them locally against it, and rest, storage and auth refuse a token signed by
// another key, `alg: none` and an expired token (functions' verify_jwt: stack-functions.test.ts).
// The legacy mode (HS256, empty JWKS) stays available, and legacy HS256 tokens still verify.
import { createClient } from '@supabase/supabase-js';
import { decodeProtectedHeader, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

const clientOptions = {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  realtime: { transport: WebSocket as never },
};

/** A supabase-js client that records every URL it fetches (to tell a local verification from a round trip). */
function recordingClient(stack: TestStack) {
  const urls: string[] = [];
  const client = createClient(stack.url, stack.publishableKey, {
    ...clientOptions,
    global: { fetch: (input, init) => { urls.push(String(input instanceof Request ? input.url : input)); return fetch(input, init); } },
  });
  return { client, urls };
}

function rest(stack: TestStack, token: string) {
  return fetch(`${stack.url}/rest/v1/whatsapp_sessions?select=id`, { headers: { apikey: stack.publishableKey, authorization: `Bearer ${token}` } });
}

const now = () => Math.floor(Date.now() / 1000);

function userClaims(user: SignedUpUser) {
  return { role: 'authenticated', aud: 'authenticated', session_id: crypto.randomUUID(), email: user.email, aal: 'aal1' };
}

describe('ES256 (the default: a project created today)', () => {
  let stack: TestStack;
  let user: SignedUpUser;
  let jwks: { keys: JWK[] };

  beforeAll(async () => {
    stack = await startTestStack();
    user = await stack.signUp();
    const res = await fetch(`${stack.url}/auth/v1/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    jwks = (await res.json()) as { keys: JWK[] };
  });
  afterAll(() => stack?.stop());

  it('signs access tokens with ES256 and a kid the JWKS publishes (public half only)', () => {
    const header = decodeProtectedHeader(user.accessToken);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: header.kid, key_ops: ['verify'] });
    expect(key).not.toHaveProperty('d');
  });

  it('supabase-js getClaims() verifies the token locally against the JWKS (no GET /auth/v1/user)', async () => {
    const { client, urls } = recordingClient(stack);
    const { data, error } = await client.auth.getClaims(user.accessToken);
    expect(error).toBeNull();
    expect(data?.claims).toMatchObject({ sub: user.user.id, role: 'authenticated', iss: `${stack.url}/auth/v1`, aud: 'authenticated' });
    expect(urls.some((url) => url.endsWith('/auth/v1/.well-known/jwks.json'))).toBe(true);
    expect(urls.some((url) => url.includes('/auth/v1/user'))).toBe(false);
  });

  it('the ES256 token works for rest, storage and /auth/v1/user', async () => {
    expect((await rest(stack, user.accessToken)).status).toBe(200);
    const storage = await fetch(`${stack.url}/storage/v1/bucket`, { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(storage.status).toBe(200);
    const me = await fetch(`${stack.url}/auth/v1/user`, { headers: { apikey: stack.publishableKey, authorization: `Bearer ${user.accessToken}` } });
    expect(me.status).toBe(200);
  });

  it('a token signed by another ES256 key (even with the published kid) is refused everywhere, getClaims included', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const kid = decodeProtectedHeader(user.accessToken).kid!;
    for (const header of [{ alg: 'ES256', kid }, { alg: 'ES256', kid: crypto.randomUUID() }, { alg: 'ES256' }]) {
      const forged = await new SignJWT(userClaims(user)).setProtectedHeader(header).setSubject(user.user.id)
        .setIssuer(`${stack.url}/auth/v1`).setIssuedAt().setExpirationTime('1h').sign(privateKey);
      const res = await rest(stack, forged);
      expect(res.status, JSON.stringify(header)).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'PGRST301' });
      const storage = await fetch(`${stack.url}/storage/v1/bucket`, { headers: { authorization: `Bearer ${forged}` } });
      expect(storage.status).toBe(400);
      expect(await storage.json()).toMatchObject({ statusCode: '403' });
      const me = await fetch(`${stack.url}/auth/v1/user`, { headers: { apikey: stack.publishableKey, authorization: `Bearer ${forged}` } });
      expect(me.status).toBe(403);
      const { client } = recordingClient(stack);
      const { data, error } = await client.auth.getClaims(forged);
      expect(data).toBeNull();
      expect(error).not.toBeNull();
    }
  });

  it('`alg: none` is refused', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...userClaims(user), sub: user.user.id, exp: now() + 3600 })}.`;
    const res = await rest(stack, unsigned);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'PGRST301' });
  });

  it('an expired token signed by the current key is 401 PGRST303', async () => {
    const expired = await stack.jwtKeys!.sign(new SignJWT(userClaims(user)).setSubject(user.user.id)
      .setIssuedAt(now() - 7200).setExpirationTime(now() - 3600));
    expect(decodeProtectedHeader(expired).alg).toBe('ES256');
    const res = await rest(stack, expired);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'PGRST303' });
  });

  it('legacy HS256 tokens (the anon / service_role JWT keys, tokens from before the switch) still verify', async () => {
    const legacy = await new SignJWT(userClaims(user)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(user.user.id)
      .setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(stack.jwtSecret));
    expect((await rest(stack, legacy)).status).toBe(200);
    expect((await rest(stack, stack.serviceRoleKey)).status).toBe(200);
  });
});

describe('HS256 (the legacy mode)', () => {
  let stack: TestStack;
  let user: SignedUpUser;

  beforeAll(async () => {
    stack = await startTestStack({ jwtAlgorithm: 'HS256' });
    user = await stack.signUp();
  });
  afterAll(() => stack?.stop());

  it('signs with the JWT secret, serves an empty JWKS, and getClaims() falls back to GET /auth/v1/user', async () => {
    expect(decodeProtectedHeader(user.accessToken)).toMatchObject({ alg: 'HS256' });
    expect(decodeProtectedHeader(user.accessToken).kid).toBeUndefined();
    const jwks = await (await fetch(`${stack.url}/auth/v1/.well-known/jwks.json`)).json();
    expect(jwks).toEqual({ keys: [] });
    const { client, urls } = recordingClient(stack);
    const { data, error } = await client.auth.getClaims(user.accessToken);
    expect(error).toBeNull();
    expect(data?.claims).toMatchObject({ sub: user.user.id, role: 'authenticated' });
    expect(urls.some((url) => url.includes('/auth/v1/user'))).toBe(true);
    expect((await rest(stack, user.accessToken)).status).toBe(200);
  });

  it('an ES256 token is refused (no key published to verify it)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(userClaims(user)).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setSubject(user.user.id)
      .setIssuedAt().setExpirationTime('1h').sign(privateKey);
    expect((await rest(stack, token)).status).toBe(401);
  });
});
