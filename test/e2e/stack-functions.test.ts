// /functions/v1 under real Deno: a throwaway function folder (no npm imports, so no downloads) proves
// proxying, the injected environment, verify_jwt and streaming; then the project's `whatsapp` function.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionsHttpError } from '@supabase/supabase-js';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

const ECHO = `
Deno.serve({ port: Number(Deno.env.get('PORT') ?? 8000), onListen: () => {} }, async (req) => {
  const url = new URL(req.url);
  if (url.pathname.endsWith('/port')) return Response.json({ port: Number(Deno.env.get('PORT')) });
  if (url.pathname.endsWith('/stream')) {
    const body = new ReadableStream({ start(c) { for (let i = 0; i < 3; i++) c.enqueue(new TextEncoder().encode('chunk' + i + '\\n')); c.close(); } });
    return new Response(body, { headers: { 'content-type': 'text/plain', 'x-from': 'deno' } });
  }
  const text = await req.text();
  return Response.json({
    method: req.method, path: url.pathname, query: url.search, body: text,
    authorization: req.headers.get('authorization'),
    env: {
      SUPABASE_URL: Deno.env.get('SUPABASE_URL'), SUPABASE_ANON_KEY: Deno.env.get('SUPABASE_ANON_KEY'),
      SUPABASE_SERVICE_ROLE_KEY: Deno.env.get('SUPABASE_SERVICE_ROLE_KEY'), SUPABASE_DB_URL: Deno.env.get('SUPABASE_DB_URL'),
      SUPABASE_PUBLISHABLE_KEYS: Deno.env.get('SUPABASE_PUBLISHABLE_KEYS'), SUPABASE_SECRET_KEYS: Deno.env.get('SUPABASE_SECRET_KEYS'),
      SUPABASE_JWKS: Deno.env.get('SUPABASE_JWKS'),
      EXTRA: Deno.env.get('EXTRA'),
    },
  }, { status: url.pathname.endsWith('/teapot') ? 418 : 200 });
});
`;

const external = Boolean(process.env.SUPABASE_URL);
let stack: TestStack;
let user: SignedUpUser;
let dir: string;

beforeAll(async () => {
  if (external) return; // a throwaway functions folder only exists on this stack
  dir = await mkdtemp(join(tmpdir(), 'wl-functions-'));
  const functionsDir = join(dir, 'functions');
  for (const name of ['echo', 'open']) {
    await mkdir(join(functionsDir, name), { recursive: true });
    await writeFile(join(functionsDir, name, 'index.ts'), ECHO);
    await writeFile(join(functionsDir, name, 'deno.json'), '{}\n');
  }
  await mkdir(join(functionsDir, '_shared'), { recursive: true });
  await writeFile(join(dir, 'config.toml'), '[functions.echo]\nverify_jwt = true\n\n[functions.open]\nverify_jwt = false\n');
  stack = await startTestStack({ functionsDir, configPath: join(dir, 'config.toml'), functionEnv: { EXTRA: 'extra-value' } });
  user = await stack.signUp();
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(external)('functions (Deno)', () => {
  it('invokes a function with the user’s JWT: path /<name>/… preserved, body and Supabase env passed', async () => {
    const { data, error } = await user.client.functions.invoke('echo/hello?x=1', { body: { ping: 1 } });
    expect(error).toBeNull();
    expect(data).toMatchObject({ method: 'POST', path: '/echo/hello', query: '?x=1', body: '{"ping":1}', authorization: `Bearer ${user.accessToken}` });
    expect(data.env).toEqual({
      SUPABASE_URL: stack.url, SUPABASE_ANON_KEY: stack.anonKey, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      SUPABASE_DB_URL: stack.databaseUrl, SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: stack.publishableKey }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: stack.secretKey }), SUPABASE_JWKS: JSON.stringify(stack.jwtKeys!.jwks),
      EXTRA: 'extra-value',
    });
  });

  it('passes the function’s status and streams its body through', async () => {
    const teapot = await user.client.functions.invoke('echo/teapot', { method: 'GET' });
    expect(teapot.error).toBeInstanceOf(FunctionsHttpError);
    expect((teapot.error as FunctionsHttpError).context.status).toBe(418);
    const res = await fetch(`${stack.url}/functions/v1/echo/stream`, { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(res.headers.get('x-from')).toBe('deno');
    expect(await res.text()).toBe('chunk0\nchunk1\nchunk2\n');
  });

  it('verify_jwt = true rejects a missing or invalid JWT with 401; verify_jwt = false lets it through', async () => {
    const none = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST' });
    expect(none.status).toBe(401);
    const bad = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST', headers: { authorization: 'Bearer x.y.z' } });
    expect(bad.status).toBe(401);
    const anonKey = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST', headers: { authorization: `Bearer ${stack.anonKey}` } });
    expect(anonKey.status).toBe(200);
    // The new keys are not JWTs: verify_jwt refuses them as the bearer (even equal to the apikey, as
    // supabase-js sends them signed out) and does not read the apikey (guides/api/api-keys, Known limitations).
    for (const key of [stack.publishableKey, stack.secretKey]) {
      const asBearer = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST', headers: { apikey: key, authorization: `Bearer ${key}` } });
      expect(asBearer.status).toBe(401);
      expect(await asBearer.json()).toEqual({ code: 'UNAUTHORIZED_INVALID_JWT_FORMAT', message: 'Invalid JWT' });
      const asApikey = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST', headers: { apikey: key } });
      expect(asApikey.status).toBe(401);
      expect(await asApikey.json()).toMatchObject({ code: 'UNAUTHORIZED_NO_AUTH_HEADER' });
    }
    // verify_jwt = false: the function gets Authorization exactly as sent (the gateway replaces nothing).
    const passed = await fetch(`${stack.url}/functions/v1/open/x`, { headers: { apikey: stack.publishableKey, authorization: `Bearer ${stack.publishableKey}` } });
    expect(await passed.json()).toMatchObject({ authorization: `Bearer ${stack.publishableKey}` });
    const open = await fetch(`${stack.url}/functions/v1/open/x`);
    expect(open.status).toBe(200);
    expect(await open.json()).toMatchObject({ path: '/open/x', authorization: null });
  });

  it('verify_jwt checks a user\'s ES256 token against the JWKS and names which check refused a token', async () => {
    expect(decodeProtectedHeader(user.accessToken).alg).toBe('ES256');
    const ok = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST', headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(ok.status).toBe(200);
    const { env } = (await ok.json()) as { env: { SUPABASE_JWKS: string } };
    expect(JSON.parse(env.SUPABASE_JWKS)).toEqual(stack.jwtKeys!.jwks);
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ role: 'authenticated', sub: user.user.id })
      .setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(user.accessToken).kid! }).setExpirationTime('1h').sign(privateKey);
    const asymmetric = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST', headers: { authorization: `Bearer ${foreign}` } });
    expect(asymmetric.status).toBe(401);
    expect(await asymmetric.json()).toMatchObject({ code: 'UNAUTHORIZED_ASYMMETRIC_JWT' });
    const legacyForged = await new SignJWT({ role: 'authenticated', sub: user.user.id }).setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    const legacy = await fetch(`${stack.url}/functions/v1/echo`, { method: 'POST', headers: { authorization: `Bearer ${legacyForged}` } });
    expect(legacy.status).toBe(401);
    expect(await legacy.json()).toMatchObject({ code: 'UNAUTHORIZED_LEGACY_JWT' });
  });

  it('an oversized body to a function is 413 and the function keeps serving', async () => {
    const big = 'x'.repeat(11 * 1024 * 1024);
    const res = await fetch(`${stack.url}/functions/v1/open/upload`, { method: 'POST', body: big });
    expect(res.status).toBe(413);
    const after = await fetch(`${stack.url}/functions/v1/open/after`);
    expect(after.status).toBe(200);
  });

  it('a function listens on loopback only, even when it calls Deno.serve without a hostname (Deno binds 0.0.0.0 then)', async () => {
    const res = await fetch(`${stack.url}/functions/v1/open/port`);
    const { port } = (await res.json()) as { port: number };
    expect(port).toBeGreaterThan(0);
    // Every listening socket on that port (IPv4 and IPv6) is bound to 127.0.0.1.
    const listening = await listeningAddresses(port);
    expect(listening).toEqual(['127.0.0.1']);
    // And from outside loopback, nothing answers on it.
    const external = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal).map((a) => a!.address);
    for (const address of external) expect(await connects(address, port), `${address}:${port}`).toBe(false);
    expect(await connects('127.0.0.1', port)).toBe(true);
  });

  it('unknown functions and shared folders are 404', async () => {
    expect((await fetch(`${stack.url}/functions/v1/nope`)).status).toBe(404);
    expect((await fetch(`${stack.url}/functions/v1/_shared`)).status).toBe(404);
  });
});

/** Local addresses of the LISTEN sockets on `port`, from /proc/net/tcp and tcp6 (Linux, as this stack). */
async function listeningAddresses(port: number): Promise<string[]> {
  const addresses: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A = LISTEN
      const [hex, portHex] = local.split(':');
      if (Number.parseInt(portHex!, 16) !== port) continue;
      if (hex!.length === 8) addresses.push(hex!.match(/../g)!.reverse().map((b) => Number.parseInt(b, 16)).join('.'));
      else addresses.push(hex === '00000000000000000000000000000000' ? '::' : `ipv6:${hex}`);
    }
  }
  return addresses;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
  });
}

const whatsappDir = new URL('../../supabase/functions/whatsapp/index.ts', import.meta.url);
describe.runIf(existsSync(whatsappDir))('the project’s whatsapp function', () => {
  let projectStack: TestStack;
  beforeAll(async () => {
    projectStack = await startTestStack();
  });
  afterAll(() => projectStack?.stop());

  it('answers /whatsapp/health through the gateway (first run: Deno downloads npm packages)', async () => {
    const { client } = await projectStack.signUp();
    const { data, error } = await client.functions.invoke('whatsapp/health', { method: 'GET' });
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: 'ok', service: 'whatsapp' });
  }, 240_000);
});
