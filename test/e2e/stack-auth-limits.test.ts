// /auth/v1 limits and confirmations as Supabase Auth applies them, with a real supabase-js client:
// [auth.rate_limit] per client address (sign-ins + sign-ups, refreshes) from this stack's config.toml.
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthApiError } from '@supabase/supabase-js';
import { startTestStack, type TestStack } from '../support/stack.ts';

const external = Boolean(process.env.SUPABASE_URL);
let stack: TestStack;
let dir: string;

beforeAll(async () => {
  if (external) return; // a throwaway config.toml only exists on this stack
  dir = await mkdtemp(join(tmpdir(), 'wl-auth-limits-'));
  await writeFile(join(dir, 'config.toml'), '[auth.rate_limit]\ntoken_refresh = 3\nsign_in_sign_ups = 4\n');
  stack = await startTestStack({ configPath: join(dir, 'config.toml') });
});
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** POST to /auth/v1 from another loopback address (127.0.0.2): GoTrue counts limits per client address. */
function postFrom(localAddress: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(`${stack.url}/auth/v1${path}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress, headers: { apikey: stack.publishableKey, 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe.skipIf(external)('auth rate limits ([auth.rate_limit] per client address)', () => {
  it('after sign_in_sign_ups attempts from one address, sign-in answers 429 over_request_rate_limit even with the right password; another address is unaffected', async () => {
    const { email, password } = await stack.signUp(); // 1 of 4
    const client = stack.client();
    for (let i = 0; i < 3; i++) {
      const wrong = await client.auth.signInWithPassword({ email, password: `wrong-${i}` });
      expect(wrong.error?.code).toBe('invalid_credentials');
    }
    const locked = await client.auth.signInWithPassword({ email, password });
    expect(locked.data.session).toBeNull();
    expect(locked.error).toBeInstanceOf(AuthApiError);
    expect(locked.error?.status).toBe(429);
    expect(locked.error?.code).toBe('over_request_rate_limit');
    const signUp = await stack.client().auth.signUp({ email: `late-${Date.now()}@test.local`, password: 'pw-late-123' });
    expect(signUp.error?.status).toBe(429);

    const elsewhere = await postFrom('127.0.0.2', '/token?grant_type=password', { email, password });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.access_token).toBeTruthy();
  });

  it('after token_refresh refreshes from one address, the next refresh answers 429 and the session is still usable', async () => {
    const signedIn = await postFrom('127.0.0.3', '/signup', { email: `refresh-${Date.now()}@test.local`, password: 'pw-refresh-123' });
    expect(signedIn.status).toBe(200);
    let refreshToken = signedIn.body.refresh_token as string;
    for (let i = 0; i < 3; i++) {
      const refreshed = await postFrom('127.0.0.3', '/token?grant_type=refresh_token', { refresh_token: refreshToken });
      expect(refreshed.status).toBe(200);
      refreshToken = refreshed.body.refresh_token as string;
    }
    const limited = await postFrom('127.0.0.3', '/token?grant_type=refresh_token', { refresh_token: refreshToken });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 429, error_code: 'over_request_rate_limit', msg: 'Request rate limit reached' });
    // The refused request did not consume the token: it still refreshes from elsewhere.
    const other = await postFrom('127.0.0.4', '/token?grant_type=refresh_token', { refresh_token: refreshToken });
    expect(other.status).toBe(200);
  });
});
