// The new API keys at the gateway as on Supabase: sb_publishable_… acts as anon and sb_secret_… as
// service_role in the `apikey` header; a secret key is refused (401) on every route when the request comes
// from a browser — shown with real Chromium and with a browser User-Agent —, while server callers (Node,
// Deno, curl) use it; the legacy anon / service_role JWT keys keep working. An sb_ key as
// `Authorization: Bearer` counts only when it equals the apikey (what supabase-js sends signed out); any
// other is refused as not a JWT (guides/api/api-keys, Known limitations). CORS lets postgrest-js's
// X-Retry-Count header through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';
import { launchChromium } from './web-browser.ts';

const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const external = Boolean(process.env.SUPABASE_URL);

let stack: TestStack;
let user: SignedUpUser;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startTestStack({ realtime: false });
  user = await stack.signUp();
  const { error } = await user.client.rpc('request_whatsapp_link');
  if (error) throw error;
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const sessions = (headers: Record<string, string>) => fetch(`${stack.url}/rest/v1/whatsapp_sessions?select=id`, { headers });

describe('API keys at the gateway', () => {
  it('sb_secret_ from a server reads as service_role; sb_publishable_ as anon (no grant: 42501)', async () => {
    const secret = await sessions({ apikey: stack.secretKey, authorization: `Bearer ${stack.secretKey}` });
    expect(secret.status).toBe(200);
    expect(((await secret.json()) as unknown[]).length).toBeGreaterThan(0);
    const publishable = await sessions({ apikey: stack.publishableKey, authorization: `Bearer ${stack.publishableKey}` });
    // anon has no grant on whatsapp_sessions (no default privileges): PostgREST's 401 for anon on 42501.
    expect(publishable.status).toBe(401);
    expect(await publishable.json()).toMatchObject({ code: '42501' });
  });

  it('Bearer sb_… equal to the apikey acts as that key; unequal, it is refused as not a JWT (never as the bearer\'s role)', async () => {
    // Equal (supabase-js signed out): the gateway puts the key's role JWT in its place, on rest and storage too.
    const buckets = (headers: Record<string, string>) => fetch(`${stack.url}/storage/v1/bucket`, { headers });
    const secretBuckets = await buckets({ apikey: stack.secretKey, authorization: `Bearer ${stack.secretKey}` });
    expect(secretBuckets.status).toBe(200);
    // A secret key as the bearer with the publishable apikey: no service_role, PostgREST refuses a non-JWT.
    const escalated = await sessions({ apikey: stack.publishableKey, authorization: `Bearer ${stack.secretKey}` });
    expect(escalated.status).toBe(401);
    expect(await escalated.json()).toMatchObject({ code: 'PGRST301' });
    const legacyApikey = await sessions({ apikey: stack.anonKey, authorization: `Bearer ${stack.secretKey}` });
    expect(legacyApikey.status).toBe(401);
    expect(await legacyApikey.json()).toMatchObject({ code: 'PGRST301' });
    const otherBuckets = await buckets({ apikey: stack.publishableKey, authorization: `Bearer ${stack.secretKey}` });
    expect(otherBuckets.status).toBe(400);
    expect(await otherBuckets.json()).toMatchObject({ statusCode: '403' });
    const admin = await fetch(`${stack.url}/auth/v1/admin/users`, { headers: { apikey: stack.publishableKey, authorization: `Bearer ${stack.secretKey}` } });
    expect(admin.status).toBe(403);
    expect(await admin.json()).toMatchObject({ error_code: 'bad_jwt' });
    // The key only as the bearer: key-auth finds no API key (Supabase: 401 "No API key found in request").
    const bearerOnly = await sessions({ authorization: `Bearer ${stack.secretKey}` });
    expect(bearerOnly.status).toBe(401);
    expect(await bearerOnly.json()).toMatchObject({ message: 'No API key found in request' });
    // A user's token with an sb_ apikey is still the user.
    const signedIn = await sessions({ apikey: stack.secretKey, authorization: `Bearer ${user.accessToken}` });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toHaveLength(1);
  });

  it('a secret key with a browser User-Agent is 401 on rest, auth, storage and functions; the publishable key is not', async () => {
    const browserHeaders = { 'user-agent': CHROME_UA, apikey: stack.secretKey, authorization: `Bearer ${stack.secretKey}` };
    for (const path of ['/rest/v1/whatsapp_sessions', '/auth/v1/admin/users', '/storage/v1/bucket', '/functions/v1/whatsapp/health']) {
      const res = await fetch(`${stack.url}${path}`, { headers: browserHeaders });
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ message: 'Forbidden use of secret API key in browser' });
    }
    // Only as the Authorization bearer (storage has no key-auth): still refused.
    const bearerOnly = await fetch(`${stack.url}/storage/v1/bucket`, { headers: { 'user-agent': CHROME_UA, authorization: `Bearer ${stack.secretKey}` } });
    expect(bearerOnly.status).toBe(401);
    const publishable = await sessions({ 'user-agent': CHROME_UA, apikey: stack.publishableKey, authorization: `Bearer ${user.accessToken}` });
    expect(publishable.status).toBe(200);
    const legacyAnon = await sessions({ 'user-agent': CHROME_UA, apikey: stack.anonKey, authorization: `Bearer ${user.accessToken}` });
    expect(legacyAnon.status).toBe(200);
  });

  it('the browser rule is the User-Agent: Mozilla/… (browsers, Apps Script) is refused, server clients are not', async () => {
    const appsScript = 'Mozilla/5.0 (compatible; Google-Apps-Script; beanserver; +https://script.google.com; id: UAEmdDd)';
    for (const ua of [CHROME_UA, appsScript, 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15']) {
      const res = await sessions({ 'user-agent': ua, apikey: stack.secretKey });
      expect(res.status, ua).toBe(401);
      expect(await res.json()).toEqual({ message: 'Forbidden use of secret API key in browser' });
    }
    for (const ua of ['Deno/2.5.6', 'curl/8.14.1', 'node', 'supabase-py/2.20.0', 'PostgREST-client Mozilla-free']) {
      const res = await sessions({ 'user-agent': ua, apikey: stack.secretKey });
      expect(res.status, ua).toBe(200);
    }
  });

  it.skipIf(external)('real Chromium: the secret key is refused, the publishable key with the user\'s token works', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${stack.url}/auth/v1/.well-known/jwks.json`); // same origin, no key needed
    const statuses = await page.evaluate(async ({ secretKey, publishableKey, token }) => {
      const call = (apikey: string, bearer: string) =>
        fetch('/rest/v1/whatsapp_sessions?select=id', { headers: { apikey, authorization: `Bearer ${bearer}` } })
          .then(async (res) => ({ status: res.status, body: await res.json() }));
      return { secret: await call(secretKey, secretKey), publishable: await call(publishableKey, token) };
    }, { secretKey: stack.secretKey, publishableKey: stack.publishableKey, token: user.accessToken });
    expect(statuses.secret).toEqual({ status: 401, body: { message: 'Forbidden use of secret API key in browser' } });
    expect(statuses.publishable.status).toBe(200);
    expect(statuses.publishable.body).toHaveLength(1);
  });

  it('CORS allows X-Retry-Count (postgrest-js sends it on the GETs it retries)', async () => {
    const preflight = await fetch(`${stack.url}/rest/v1/whatsapp_sessions`, {
      method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-headers')?.split(',')).toContain('x-retry-count');
    const retried = await sessions({ apikey: stack.publishableKey, authorization: `Bearer ${user.accessToken}`, 'x-retry-count': '1', origin: 'http://app.example' });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('access-control-allow-origin')).toBe('http://app.example');
  });
});
