// API fuzz: generated bad requests against the whatsapp Edge Function through the local stack's gateway
// (Deno, real auth, RLS). Every request is invalid by construction (bad auth, bad JSON, bad fields,
// another user's ids, wrong routes and methods, oversized bodies …). No answer may be a 5xx, and no
// table the API can write may change (row counts before and after).
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import pino from 'pino';
import WebSocket from 'ws';
import postgres from 'postgres';
import { startStack } from '../../../stack/index.ts';
import { pool } from '../../bench/harness.ts';
import { repoRoot } from '../../bench/support/processes.ts';
import type { Scenario } from '../support.ts';

const TABLES = ['whatsapp_sessions', 'session_commands', 'outbound_messages', 'inbound_messages', 'whatsapp_auth_state'] as const;

interface Req { method: string; path: string; headers: Record<string, string>; body?: string; kind: string }

/** Small deterministic PRNG so a failing case can be replayed with FUZZ_SEED. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateBadRequests(n: number, seed: number, ids: { tokenA: string; tokenB: string; anon: string; sessionA: string }): Req[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const junk = () => randomBytes(1 + Math.floor(rnd() * 40)).toString(pick(['hex', 'base64', 'latin1'] as const));
  // A token an HTTP client can send at all: visible ASCII (fetch refuses control characters in headers).
  const junkToken = () => junk().replace(/[^\x21-\x7e]/g, (c) => String.fromCharCode(0x21 + (c.charCodeAt(0) % 94)));
  // Three base64url-looking parts that do not decode to a JWT (issue 16 item 10: `abc.def.ghi` was a 500):
  // not UTF-8, not JSON, JSON that is not an object, `alg: none`, an unknown alg or kid.
  const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');
  const jwtPart = () => pick([b64(randomBytes(1 + Math.floor(rnd() * 24))), b64('null'), b64('[1]'), b64('"x"'), b64('{"alg":"none"}'),
    b64('{"alg":"ES256","kid":"no-such-key"}'), b64('{"alg":"XS999","kid":"k"}'), b64('{"exp":"soon","sub":7}'), junkToken().replace(/[^A-Za-z0-9_-]/g, 'x')]);
  const jwtShaped = () => pick(['abc.def.ghi', `${jwtPart()}.${jwtPart()}.${jwtPart()}`, `${jwtPart()}.${ids.tokenA.split('.')[1]}.${jwtPart()}`, `${jwtPart()}.${jwtPart()}.`]);
  const badPhones = ['', ' ', 'abc', '+', '++1555', '12', '+0123456789', '+1'.padEnd(40, '9'), '☎️📞', '+1 (555) abc-defg', 'null', '1'.repeat(65), '<script>', "'; drop table x; --"];
  // U+0000 and lone surrogates: valid JSON, but Postgres text cannot store a NUL (SQLSTATE 22P05)
  const nul = () => pick(['\u0000', 'a\u0000b', `${junk()}\u0000`, '\u0000'.repeat(1 + Math.floor(rnd() * 5)), 'x\ud800y', '\udfff']);
  const badTexts: unknown[] = ['', '   ', '\n\t', 'x'.repeat(4097), 42, null, true, [], {}, ['a'], nul()];
  const badUuids = ['not-a-uuid', '123', randomUUID().slice(0, 35), `${randomUUID()}x`, '../../etc/passwd', '%00', ' '];
  const auth = (who: 'A' | 'B' | 'none' | 'bad' | 'anon') => {
    const h: Record<string, string> = { apikey: ids.anon };
    if (who === 'A') h.authorization = `Bearer ${ids.tokenA}`;
    if (who === 'B') h.authorization = `Bearer ${ids.tokenB}`;
    if (who === 'anon') h.authorization = `Bearer ${ids.anon}`;
    if (who === 'bad') h.authorization = pick([`Bearer ${junkToken()}`, `Bearer ${ids.tokenA.slice(0, -4)}abcd`, 'Basic Zm9vOmJhcg==', 'Bearer', `Bearer ${ids.tokenA}.x`, `Bearer ${jwtShaped()}`]);
    return h;
  };
  const json = { 'content-type': 'application/json' };
  const gens: (() => Req)[] = [
    // unauthenticated or forged tokens on every route that writes
    () => ({ kind: 'no-auth', method: 'POST', path: pick(['/sessions', '/messages', `/sessions/${ids.sessionA}/logout`, `/sessions/${ids.sessionA}/disconnect`]),
      headers: { ...auth(pick(['none', 'bad', 'anon'] as const)), ...json }, body: JSON.stringify({ to: '+14155552671', text: 'hi', method: 'qr' }) }),
    // a JWT-shaped token that is not one, on every signed-in route (GET and POST)
    () => {
      const method = pick(['GET', 'POST']);
      return { kind: 'jwt-shaped', method, path: pick(['/sessions/current', '/messages', '/settings', '/sessions']), headers: { apikey: ids.anon, authorization: `Bearer ${jwtShaped()}`, ...json },
        body: method === 'GET' ? undefined : JSON.stringify({ to: '+14155552671', text: 'hi', method: 'qr' }) };
    },
    // malformed JSON bodies
    () => ({ kind: 'bad-json', method: 'POST', path: pick(['/sessions', '/messages']), headers: { ...auth(pick(['A', 'B'] as const)), ...json },
      body: pick(['{', '{"to": "+14155552671", "text": ', junk(), '[1,2', '{"to":+1}', 'nul', '\u0000\u0001', '{"a":1}}', "{'to':'x'}"]) }),
    // JSON that is not an object
    () => ({ kind: 'not-object', method: 'POST', path: pick(['/sessions', '/messages']), headers: { ...auth(pick(['A', 'B'] as const)), ...json },
      body: pick(['[]', '"text"', '42', 'null', 'true', '[{"to":"+14155552671","text":"hi"}]']) }),
    // wrong content type
    () => ({ kind: 'content-type', method: 'POST', path: '/messages', headers: { ...auth('A'), 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) },
      body: pick(['to=%2B14155552671&text=hi', '<to>+14155552671</to>', 'hello']) }),
    // messages with a bad recipient
    () => ({ kind: 'bad-to', method: 'POST', path: '/messages', headers: { ...auth('A'), ...json }, body: JSON.stringify({ to: pick(badPhones), text: 'hello' }) }),
    // messages with a bad text
    () => ({ kind: 'bad-text', method: 'POST', path: '/messages', headers: { ...auth('A'), ...json }, body: JSON.stringify({ to: '+14155552671', text: pick(badTexts) }) }),
    // a NUL (or a lone surrogate) in any string field of a write, the others valid
    () => {
      const field = pick(['to', 'text', 'idempotency_key', 'session_id'] as const);
      const body: Record<string, unknown> = { to: '+14155552671', text: 'hi', [field]: field === 'text' ? `hi ${nul()}` : nul() };
      return { kind: 'nul-byte', method: 'POST', path: '/messages', headers: { ...auth('A'), ...json }, body: JSON.stringify(body) };
    },
    () => ({ kind: 'nul-byte', method: 'POST', path: '/sessions', headers: { ...auth('B'), ...json },
      body: JSON.stringify(pick<Record<string, unknown>>([{ method: nul() }, { method: 'pairing_code', phone: `+1415555${nul()}` }, { method: 'qr', [nul()]: 1 }])) }),
    // unknown or mistyped fields
    () => ({ kind: 'unknown-field', method: 'POST', path: '/messages', headers: { ...auth('A'), ...json },
      body: JSON.stringify({ to: '+14155552671', text: 'hi', [pick(['status', 'user_id', 'wa_message_id', 'attempts', junk().slice(0, 8)])]: pick(['sent', randomUUID(), 1]) }) }),
    // a session that is not the caller's (or not a uuid)
    () => ({ kind: 'foreign-session', method: 'POST', path: '/messages', headers: { ...auth('B'), ...json },
      body: JSON.stringify({ session_id: pick([ids.sessionA, randomUUID(), ...badUuids]), to: '+14155552671', text: 'hi' }) }),
    // user B has no session: sending must be refused, not queued
    () => ({ kind: 'no-session', method: 'POST', path: '/messages', headers: { ...auth('B'), ...json }, body: JSON.stringify({ to: '+14155552671', text: 'hi' }) }),
    // idempotency keys: too long, empty, with a NUL, header and body disagree
    () => {
      const variant = Math.floor(rnd() * 4);
      const body: Record<string, unknown> = { to: '+14155552671', text: 'hi', idempotency_key: variant === 0 ? 'k'.repeat(201) : variant === 1 ? '' : variant === 3 ? `k${nul()}` : 'body-key' };
      return { kind: 'idempotency', method: 'POST', path: '/messages', headers: { ...auth('A'), ...json, ...(variant === 2 ? { 'idempotency-key': 'header-key' } : {}) }, body: JSON.stringify(body) };
    },
    // session creation with bad options (user B: any valid body would create a row, so none is valid here)
    () => ({ kind: 'bad-session', method: 'POST', path: '/sessions', headers: { ...auth('B'), ...json },
      body: JSON.stringify(pick<Record<string, unknown>>([{ method: 'sms' }, { method: 'pairing_code' }, { method: 'pairing_code', phone: pick(badPhones) },
        { method: 'qr', extra: 1 }, { method: 7 }, { phone: 12345 }, { method: null }, { method: 'QR' }])) }),
    // commands on sessions that are not the caller's, or ids that are not uuids
    () => ({ kind: 'foreign-command', method: 'POST', path: `/sessions/${encodeURIComponent(pick([ids.sessionA, randomUUID(), ...badUuids]))}/${pick(['reconnect', 'disconnect', 'logout'])}`,
      headers: { ...auth('B'), ...json }, body: '{}' }),
    () => ({ kind: 'bad-command', method: 'POST', path: `/sessions/${ids.sessionA}/${pick(['delete', 'restart', 'LOGOUT', '..', 'logout/x', junk().replace(/[/?#]/g, '')])}`, headers: { ...auth('A'), ...json }, body: '{}' }),
    // wrong methods and unknown routes
    () => ({ kind: 'route', method: pick(['PUT', 'PATCH', 'DELETE']), path: pick(['/sessions', '/messages', `/sessions/${ids.sessionA}`, '/health']), headers: { ...auth('A'), ...json }, body: '{}' }),
    () => ({ kind: 'route', method: pick(['GET', 'POST']), path: pick(['/', '/session', '/messages/x', '/../rest/v1/whatsapp_sessions', `/${junk().replace(/[/?#]/g, '')}`, '/sessions/current/extra']), headers: { ...auth('A'), ...json }, body: undefined }),
    // bad query strings
    () => ({ kind: 'bad-query', method: 'GET', path: `/messages?${pick(['limit=0', 'limit=-1', 'limit=1000', 'limit=abc', `cursor=${encodeURIComponent(junk())}`, 'session_id=nope', `session_id=${ids.sessionA}&limit=1e9`, 'cursor='])}`, headers: auth('B'), body: undefined }),
    // oversized bodies
    () => ({ kind: 'too-large', method: 'POST', path: pick(['/messages', '/sessions']), headers: { ...auth('A'), ...json }, body: JSON.stringify({ to: '+14155552671', text: 'x'.repeat(40_000 + Math.floor(rnd() * 100_000)) }) }),
  ];
  return Array.from({ length: n }, () => pick(gens)());
}

export const apiFuzz: Scenario = {
  name: 'api-fuzz',
  async run(ctx) {
    const n = 1000;
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
    const db = await ctx.database();
    const stack = await startStack({
      databaseUrl: db.url, prepare: false, port: 0, logger: pino({ level: 'error' }), prestartFunctions: true,
      functionEnv: { DENO_DIR: `${repoRoot}.data/deno`, WHATSAPP_LOG_LEVEL: 'error', WHATSAPP_RATE_LIMIT_MESSAGES: '1000000', WHATSAPP_RATE_LIMIT_SESSIONS: '1000000' },
    });
    const sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
    try {
      const signUp = async () => {
        const client = createClient(stack.url, stack.publishableKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } });
        const { data, error } = await client.auth.signUp({ email: `fuzz-${randomBytes(6).toString('hex')}@bench.local`, password: `pw-${randomBytes(8).toString('hex')}` });
        if (error || !data.session) throw error ?? new Error('no session');
        return data.session.access_token;
      };
      const api = `${stack.url}/functions/v1/whatsapp`;
      const [tokenA, tokenB] = await Promise.all([signUp(), signUp()]);
      const created = await fetch(`${api}/sessions`, { method: 'POST', headers: { authorization: `Bearer ${tokenA}`, apikey: stack.publishableKey, 'content-type': 'application/json' }, body: '{"method":"qr"}' });
      const createdBody = (await created.json()) as { id?: string; session?: { id?: string } };
      const sessionA = createdBody.id ?? createdBody.session?.id;
      if (!sessionA) throw new Error(`could not create user A's session: ${created.status} ${JSON.stringify(createdBody)}`);
      const counts = async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, (await sql.unsafe(`select count(*)::int as n from public.${t}`))[0]!.n as number])));
      const before = await counts();
      const requests = generateBadRequests(n, seed, { tokenA, tokenB, anon: stack.anonKey, sessionA });
      const statuses = new Map<number, number>();
      const fivexx: string[] = [];
      const accepted: string[] = [];
      await pool(requests, 4, async (r) => {
        let status = 0;
        // one retry on a network-level failure (a reused keep-alive socket the server had just closed);
        // a second failure counts like a 5xx
        for (let attempt = 1; attempt <= 2 && (status === 0 || status === 599); attempt++) {
          try {
            const res = await fetch(`${api}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
            status = res.status;
            await res.arrayBuffer();
          } catch (error) {
            status = 599;
            const cause = (error as Error & { cause?: Error }).cause?.message;
            if (attempt === 2) fivexx.push(`${r.kind} ${r.method} ${r.path}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`);
          }
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500 && status !== 599) fivexx.push(`${r.kind} ${r.method} ${r.path} -> ${status}`);
        if (status >= 200 && status < 300) accepted.push(`${r.kind} ${r.method} ${r.path} -> ${status}`);
      });
      const after = await counts();
      const changed = TABLES.filter((t) => before[t] !== after[t]).map((t) => `${t} ${before[t]} -> ${after[t]}`);
      const problems: string[] = [];
      if (fivexx.length) problems.push(`${fivexx.length} 5xx/failed requests, e.g. ${fivexx.slice(0, 3).join('; ')}`);
      if (changed.length) problems.push(`rows written: ${changed.join(', ')}`);
      const accepted2xx = accepted.filter((a) => !a.includes('GET'));
      if (accepted2xx.length) problems.push(`${accepted2xx.length} bad writes answered 2xx, e.g. ${accepted2xx.slice(0, 3).join('; ')}`);
      ctx.log(`api-fuzz: statuses ${JSON.stringify(Object.fromEntries(statuses))} (seed ${seed})`);
      return {
        name: 'api-fuzz', load: `${n} generated bad requests (seed ${seed})`, faults: `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
        lost: 0, duplicates: 0, problems, details: { before, after, statuses: Object.fromEntries(statuses), fivexx: fivexx.slice(0, 20), accepted: accepted.slice(0, 20) },
      };
    } finally {
      await sql.end({ timeout: 2 });
      await stack.stop();
      await db.stop();
    }
  },
};
