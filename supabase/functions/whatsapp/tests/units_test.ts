// Pure helpers: config parsing, phone numbers, cursors, SQLSTATE mapping.
import { toApiError } from '../../_shared/postgrest-error.ts';
import { normalizePhoneNumber } from '../../_shared/phone.ts';
import { loadConfig } from '../config.ts';
import { LARGEST_MESSAGE_BODY_BYTES } from '../schemas/message.ts';
import {
  compareNewestFirst,
  decodeConversationCursor,
  decodeCursor,
  encodeConversationCursor,
  encodeCursor,
  toMicros,
} from '../store/cursor.ts';
import { assert, assertEquals, assertThrows } from './assert.ts';

const env = { SUPABASE_URL: 'http://127.0.0.1:54321/', SUPABASE_ANON_KEY: 'anon-key-for-in-process-tests', SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-for-in-process-tests' };

Deno.test('config: defaults, trimmed URL, origins list', () => {
  const config = loadConfig({ ...env, WHATSAPP_ALLOWED_ORIGINS: 'https://a.example, https://b.example', WHATSAPP_DEFAULT_COUNTRY: 'de' });
  assertEquals(config.supabaseUrl, 'http://127.0.0.1:54321');
  assertEquals(config.publicUrl, 'http://127.0.0.1:54321/functions/v1');
  assertEquals(config.allowedOrigins, ['https://a.example', 'https://b.example']);
  assertEquals(config.defaultCountry, 'DE');
  assertEquals(config.rateLimits, { messages: 120, sessions: 60, windowSeconds: 60 });
  assertEquals(config.port, 8000);
  assertEquals(config.supabaseSecretKey, env.SUPABASE_SERVICE_ROLE_KEY);
  assertEquals(loadConfig({ ...env, SUPABASE_SECRET_KEYS: '{"default":"sb_secret_0123456789abcdef"}' }).supabaseSecretKey, 'sb_secret_0123456789abcdef');
  assertEquals(loadConfig({ ...env, PORT: '9123' }).port, 9123);
  // Supabase passes the new keys as JSON objects; the default key wins over the legacy anon / service_role JWTs.
  assertEquals(config.supabasePublishableKey, env.SUPABASE_ANON_KEY);
  const keys = loadConfig({ ...env, SUPABASE_PUBLISHABLE_KEYS: '{"default":"sb_publishable_0123456789abcdef"}' });
  assertEquals(keys.supabasePublishableKey, 'sb_publishable_0123456789abcdef');
  const newKeysOnly = loadConfig({ SUPABASE_URL: env.SUPABASE_URL, SUPABASE_PUBLISHABLE_KEYS: '{"default":"sb_publishable_0123456789abcdef"}',
    SUPABASE_SECRET_KEYS: '{"default":"sb_secret_0123456789abcdef"}' });
  assertEquals([newKeysOnly.supabasePublishableKey, newKeysOnly.supabaseSecretKey], ['sb_publishable_0123456789abcdef', 'sb_secret_0123456789abcdef']);
  assert(Object.isFrozen(config));
});

Deno.test('config: errors name the variable', () => {
  assertThrows(() => loadConfig({ SUPABASE_ANON_KEY: env.SUPABASE_ANON_KEY }), /SUPABASE_URL/);
  assertThrows(() => loadConfig({ SUPABASE_URL: env.SUPABASE_URL }), /SUPABASE_ANON_KEY/);
  assertThrows(() => loadConfig({ SUPABASE_URL: env.SUPABASE_URL, SUPABASE_ANON_KEY: env.SUPABASE_ANON_KEY }), /SUPABASE_SECRET_KEYS/);
  assertThrows(() => loadConfig({ ...env, SUPABASE_SECRET_KEYS: 'not json' }), /SUPABASE_SECRET_KEYS/);
  assertThrows(() => loadConfig({ ...env, SUPABASE_PUBLISHABLE_KEYS: 'not json' }), /SUPABASE_PUBLISHABLE_KEYS: must be a JSON object/);
  assertThrows(() => loadConfig({ ...env, WHATSAPP_RATE_LIMIT_WINDOW_SECONDS: '8640000' }), /WHATSAPP_RATE_LIMIT_WINDOW_SECONDS/);
  assertThrows(() => loadConfig({ ...env, WHATSAPP_DEFAULT_COUNTRY: 'XX' }), /WHATSAPP_DEFAULT_COUNTRY/);
  assertThrows(() => loadConfig({ ...env, WHATSAPP_RATE_LIMIT_MESSAGES: '0' }), /WHATSAPP_RATE_LIMIT_MESSAGES/);
  assertThrows(() => loadConfig({ ...env, PORT: 'eighty' }), /PORT/);
  // a body limit that would refuse with 413 a message the API accepts (a 64 KiB preview is 87 KB of base64)
  assertThrows(() => loadConfig({ ...env, WHATSAPP_MAX_BODY_BYTES: '32768' }), /WHATSAPP_MAX_BODY_BYTES.*64 KiB preview/);
  assertEquals(loadConfig({ ...env, WHATSAPP_MAX_BODY_BYTES: String(LARGEST_MESSAGE_BODY_BYTES) }).maxBodyBytes, LARGEST_MESSAGE_BODY_BYTES);
  assertEquals(loadConfig(env).maxBodyBytes, 128 * 1024);
});

Deno.test('phone numbers normalize to E.164, national ones only with a default country', () => {
  assertEquals(normalizePhoneNumber('+1 (415) 555-2671'), '+14155552671');
  assertEquals(normalizePhoneNumber('14155552671@s.whatsapp.net'), '+14155552671');
  assertEquals(normalizePhoneNumber('(415) 555-2671'), null);
  assertEquals(normalizePhoneNumber('(415) 555-2671', 'US'), '+14155552671');
  assertEquals(normalizePhoneNumber('030 1234567', 'DE'), '+49301234567');
  for (const bad of ['', 'hello', '+1', '+999 123', '12']) assertEquals(normalizePhoneNumber(bad, 'US'), null, bad);
});

Deno.test('cursors round-trip and reject anything we did not issue', () => {
  const c = { t: '2026-11-28T10:00:00.123456+00:00', k: 'o' as const, i: '7d3f1c2e-5b6a-4c8d-9e0f-1a2b3c4d5e6f' };
  assertEquals(decodeCursor(encodeCursor(c)), c);
  assertEquals(decodeCursor(encodeCursor({ t: c.t, k: 'i', i: 42 })), { t: c.t, k: 'i', i: 42 });
  for (const bad of ['x', btoa('{}'), encodeCursor({ t: 'yesterday', k: 'o', i: c.i }), encodeCursor({ t: c.t, k: 'i', i: 'drop table' })]) {
    assertThrows(() => decodeCursor(bad), /cursor/);
  }
});

Deno.test('conversation cursors round-trip and reject anything we did not issue', () => {
  const c = { t: '2026-11-28T10:00:00.123456+00:00', c: '7d3f1c2e-5b6a-4c8d-9e0f-1a2b3c4d5e6f' };
  assertEquals(decodeConversationCursor(encodeConversationCursor(c)), c);
  const forged = [
    'x', btoa('null'), btoa('7'), encodeConversationCursor({ t: 'yesterday', c: c.c }),
    encodeConversationCursor({ t: c.t, c: 'x),contact_id.neq.(' }), encodeCursor({ t: c.t, k: 'o', i: c.c }),
  ];
  for (const bad of forged) assertThrows(() => decodeConversationCursor(bad), /cursor/);
});

Deno.test('timestamps compare at microsecond precision across formats; outbound first on ties', () => {
  assertEquals(toMicros('2026-11-28T10:00:00.1+00:00') - toMicros('2026-11-28T10:00:00.000001Z'), 99_999);
  assertEquals(toMicros('2026-11-28 11:00:00+01'), toMicros('2026-11-28T10:00:00Z'));
  const t = '2026-11-28T10:00:00.5+00:00';
  assert(compareNewestFirst({ t, k: 'o', i: 'a' }, { t, k: 'i', i: 1 }) < 0);
  assert(compareNewestFirst({ t: '2026-11-28T09:00:00Z', k: 'o', i: 'a' }, { t, k: 'i', i: 1 }) > 0);
});

Deno.test('SQLSTATEs map to 4xx by code, never by message', () => {
  assertEquals(toApiError({ code: 'WL404', message: 'session not found' }).status, 404);
  assertEquals(toApiError({ code: 'WL409', message: 'the session is logged_out' }).toBody().error, { code: 'conflict', message: 'the session is logged_out' });
  assertEquals(toApiError({ code: 'WL422', message: 'bad' }).status, 400);
  assertEquals(toApiError({ code: 'WL429', message: 'quota exceeded: at most 100' }).status, 429);
  assertEquals(toApiError({ code: 'WL429', message: 'quota exceeded: at most 100' }).toBody().error, { code: 'quota_exceeded', message: 'quota exceeded: at most 100' });
  assertEquals(toApiError({ code: '23505', message: 'duplicate key value violates unique constraint "x"' }).toBody().error.code, 'conflict');
  assertEquals(toApiError({ code: '23514', message: 'secret internals' }).toBody().error.message.includes('secret'), false);
  assertEquals(toApiError({ code: '42501', message: '' }).status, 403);
  assertEquals(toApiError({ code: '22P05', message: 'unsupported Unicode escape sequence' }).status, 400);
  assertEquals(toApiError({ code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' }).toBody().error.code, 'invalid_request');
  assertEquals(toApiError({ code: 'WL404', message: 'x' }, { WL404: ['session_not_found', 'No such session'] }).toBody().error.code, 'session_not_found');
  const unknown = toApiError({ code: 'XX000', message: 'boom' });
  assertEquals([unknown.status, unknown.code], [500, 'internal_error']);
});
