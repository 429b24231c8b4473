// Asymmetric signing keys (ES256) in process: a small loopback server plays Supabase's JWKS endpoint and
// PostgREST, so the test can see (1) the token verified locally against the JWKS, fetched once and cached,
// (2) the rate-limit counter called with the secret key for the verified user (users may not call it),
// (3) the 429 path, (4) the per-request database client carrying the caller's own token, (5) tokens of
// another key, issuer or audience, and expired ones, refused without touching the database.
// End to end against the local stack's own ES256 keys: test/e2e/function-*.test.ts.
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { assert, assertEquals } from './assert.ts';
import { encode, signingKey } from './signing.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test('ES256 tokens are verified against the JWKS, and the database sees the caller\'s own token', async () => {
  const key = await signingKey();
  const seen: { path: string; authorization: string | null; body: string }[] = [];
  let allow = false;
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({ path: url.pathname, authorization: req.headers.get('Authorization'), body: await req.text() });
    if (url.pathname === '/auth/v1/.well-known/jwks.json') return Response.json({ keys: [key.jwk] });
    if (url.pathname === '/rest/v1/rpc/consume_api_rate_limit') return Response.json([{ allowed: allow, retry_after_seconds: allow ? 0 : 7 }]);
    if (url.pathname === '/rest/v1/outbound_messages' || url.pathname === '/rest/v1/inbound_messages') return Response.json([]);
    return Response.json({ message: 'unexpected' }, { status: 500 });
  });
  try {
    const secret = 'sb_secret_for-in-process-tests';
    const app = createApp(loadConfig({ SUPABASE_URL: `http://127.0.0.1:${server.addr.port}`, SUPABASE_ANON_KEY: 'anon-key-for-in-process-tests',
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: secret }) }), { logger: silent });
    const now = Math.floor(Date.now() / 1000);
    const iss = `http://127.0.0.1:${server.addr.port}/auth/v1`;
    const claims = { iss, sub: crypto.randomUUID(), role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 600, session_id: crypto.randomUUID(), aal: 'aal1' };
    const token = await key.sign(claims);

    const limited = await app.request('/whatsapp/messages', { headers: { Authorization: `Bearer ${token}` } });
    assertEquals(limited.status, 429);
    assertEquals((await limited.json()).error.code, 'rate_limited');
    assertEquals(limited.headers.get('Retry-After'), '7');
    assertEquals(seen.map((s) => s.path), ['/auth/v1/.well-known/jwks.json', '/rest/v1/rpc/consume_api_rate_limit']);
    assertEquals(seen[1]!.authorization, `Bearer ${secret}`);
    assertEquals(JSON.parse(seen[1]!.body), { p_user: claims.sub, p_bucket: 'messages', p_limit: 120, p_window_seconds: 60 });

    seen.length = 0;
    allow = true;
    const listed = await app.request('/whatsapp/messages', { headers: { Authorization: `Bearer ${token}` } });
    assertEquals(listed.status, 200);
    const reads = seen.filter((s) => s.path.startsWith('/rest/v1/') && !s.path.includes('/rpc/'));
    assert(reads.length > 0, 'the route read messages');
    for (const read of reads) assertEquals(read.authorization, `Bearer ${token}`);

    seen.length = 0;
    const forged = `${token.split('.').slice(0, 1)}.${encode({ ...claims, sub: crypto.randomUUID() })}.${token.split('.')[2]}`;
    const otherKey = await signingKey(); // same kid, another key: a token of another project or a forger
    const refusedTokens = {
      forged,
      otherKey: await otherKey.sign(claims),
      otherIssuer: await key.sign({ ...claims, iss: 'https://another-project.supabase.co/auth/v1' }),
      otherAudience: await key.sign({ ...claims, aud: 'somebody-else' }),
      expired: await key.sign({ ...claims, iat: now - 7200, exp: now - 3600 }),
      serviceRole: await key.sign({ ...claims, role: 'service_role' }),
    };
    for (const [name, refusedToken] of Object.entries(refusedTokens)) {
      const refused = await app.request('/whatsapp/messages', { headers: { Authorization: `Bearer ${refusedToken}` } });
      assertEquals(refused.status, 401, name);
      assertEquals((await refused.json()).error.code, 'invalid_token', name);
    }
    assertEquals(seen.filter((s) => s.path.startsWith('/rest/')), []);
    // The key set was fetched once for all of these requests (cached), not per request.
    assertEquals(seen.filter((s) => s.path.endsWith('/jwks.json')), []);
  } finally {
    await server.shutdown();
  }
});
