// Signing-key rotation and revocation as the function sees them: a loopback server plays the project's JWKS
// (and PostgREST), first with the old key, then old + new (rotation), then new only (old revoked). The clock
// the JWKS cache reads (Date.now) is moved forward by hand instead of waiting 30 s / 10 min in real time;
// everything else (jose, the app, HTTP) is real.
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { JWKS_CACHE } from '../middleware/auth.ts';
import { assertEquals } from './assert.ts';
import { signingKey } from './signing.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test('JWKS rotation: a new kid is fetched once after the cooldown, unknown kids cause no refetch storm, a revoked key is refused after the max age', async () => {
  const oldKey = await signingKey('key-old');
  const newKey = await signingKey('key-new');
  let published = [oldKey.jwk];
  let fetches = 0;
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    await req.body?.cancel();
    if (url.pathname === '/auth/v1/.well-known/jwks.json') {
      fetches += 1;
      return Response.json({ keys: published });
    }
    if (url.pathname === '/rest/v1/rpc/consume_api_rate_limit') return Response.json([{ allowed: true, retry_after_seconds: 0 }]);
    if (url.pathname === '/rest/v1/outbound_messages' || url.pathname === '/rest/v1/inbound_messages') return Response.json([]);
    return Response.json({ message: 'unexpected' }, { status: 500 });
  });
  const realNow = Date.now;
  let offsetMs = 0;
  Date.now = () => realNow() + offsetMs;
  try {
    const app = createApp(loadConfig({ SUPABASE_URL: `http://127.0.0.1:${server.addr.port}`, SUPABASE_ANON_KEY: 'anon-key-for-in-process-tests',
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: 'sb_secret_for-in-process-tests' }) }), { logger: silent });
    const now = Math.floor(realNow() / 1000);
    const claims = { iss: `http://127.0.0.1:${server.addr.port}/auth/v1`, sub: crypto.randomUUID(), role: 'authenticated', aud: 'authenticated',
      iat: now, exp: now + 3600, session_id: crypto.randomUUID() };
    const statuses = async (tokens: string[]) => {
      const answers = await Promise.all(tokens.map((token) => app.request('/whatsapp/messages', { headers: { Authorization: `Bearer ${token}` } })));
      return Promise.all(answers.map(async (res) => `${res.status} ${res.status === 200 ? 'ok' : (await res.json()).error.code}`));
    };
    const times = (n: number, value: string) => Array.from({ length: n }, () => value);
    const oldToken = await oldKey.sign(claims);
    const newToken = await newKey.sign(claims);

    assertEquals(await statuses([oldToken]), ['200 ok']);
    assertEquals(fetches, 1);

    // Rotation: the new key is published and signs. Inside the cooldown of the last fetch its kid is unknown
    // and refused without a fetch; after the cooldown, 20 concurrent requests share one refetch and pass.
    published = [oldKey.jwk, newKey.jwk];
    assertEquals(await statuses([newToken]), ['401 invalid_token']);
    assertEquals(fetches, 1);
    offsetMs += JWKS_CACHE.cooldownMs + 1_000;
    assertEquals(await statuses(times(20, newToken)), times(20, '200 ok'));
    assertEquals(fetches, 2);
    assertEquals(await statuses([oldToken, newToken]), ['200 ok', '200 ok']);
    assertEquals(fetches, 2);

    // Tokens naming kids nobody published (40 requests, 40 kids): at most one refetch per cooldown.
    const strangers = await Promise.all(Array.from({ length: 40 }, async (_, i) => (await signingKey(`stranger-${i}`)).sign(claims)));
    assertEquals(await statuses(strangers.slice(0, 20)), times(20, '401 invalid_token'));
    assertEquals(fetches, 2);
    offsetMs += JWKS_CACHE.cooldownMs + 1_000;
    assertEquals(await statuses(strangers.slice(20)), times(20, '401 invalid_token'));
    assertEquals(fetches, 3);

    // Revocation: the old key leaves the JWKS. Its tokens pass until the cached set is older than the max
    // age, then the set is refetched once and they are refused; the new key's tokens keep passing.
    published = [newKey.jwk];
    assertEquals(await statuses([oldToken]), ['200 ok']);
    assertEquals(fetches, 3);
    offsetMs += JWKS_CACHE.maxAgeMs + 1_000;
    assertEquals(await statuses([oldToken, oldToken, oldToken]), times(3, '401 invalid_token'));
    assertEquals(fetches, 4);
    assertEquals(await statuses([newToken]), ['200 ok']);
    assertEquals(fetches, 4);
  } finally {
    Date.now = realNow;
    await server.shutdown();
  }
});
