-- configuracion_mensajeria_usuario and the webhook secret under RLS: each user reads and writes only
-- their own settings, config is validated in SQL (every path: the RPC and direct table writes), and the
-- webhook secret is never readable through the API, not even by its owner.
begin;
select plan(27);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@rls.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@rls.test');
insert into public.configuracion_mensajeria_usuario (user_id, name, config) values
  ('22222222-2222-4222-8222-222222222222', 'bob''s', '{"pacing": {"min_interval_ms": 5000}}');
insert into public.messaging_webhook_secrets (user_id, secret) values
  ('22222222-2222-4222-8222-222222222222', 'whsec_' || encode(extensions.gen_random_bytes(32), 'base64'));

select ok(has_table_privilege('authenticated', 'public.configuracion_mensajeria_usuario', 'select'), 'authenticated may read settings (RLS decides which)');
select ok(not has_table_privilege('authenticated', 'public.configuracion_mensajeria_usuario', 'delete'), 'settings are reset by saving, never deleted through the API');
select ok(not has_any_column_privilege('anon', 'public.configuracion_mensajeria_usuario', 'select, insert, update'), 'anon reaches no settings column');
select ok(not has_any_column_privilege('authenticated', 'public.messaging_webhook_secrets', 'select, insert, update')
          and not has_table_privilege('authenticated', 'public.messaging_webhook_secrets', 'select, insert, update, delete'),
  'authenticated holds no privilege on the webhook secrets');

set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);

select is_empty($$select 1 from public.configuracion_mensajeria_usuario$$, 'alice sees none of bob''s settings');
select results_eq(
  $$with u as (update public.configuracion_mensajeria_usuario set name = 'hijacked' returning 1) select count(*)::int from u$$,
  $$values (0)$$, 'alice cannot change bob''s settings (no row matches under RLS)');
select throws_ok(
  $$insert into public.configuracion_mensajeria_usuario (user_id, config) values ('22222222-2222-4222-8222-222222222222', '{}')$$,
  '42501', null, 'alice cannot create settings in bob''s name');
select throws_ok($$select secret from public.messaging_webhook_secrets$$, '42501', null, 'alice cannot read any webhook secret');

select lives_ok(
  $$select public.save_messaging_settings('Ventas', true,
    '{"pacing": {"min_interval_ms": 1500, "jitter_ms": 500}, "default_country": "ES", "history_import": false,
      "media_max_bytes": 16777216, "typing_indicator": true,
      "webhook": {"url": "https://crm.example.com/hooks/whatsapp", "enabled": true, "events": ["message.received", "session.status"]}}')$$,
  'alice saves a full, valid configuration');
select results_eq(
  $$select user_id, platform, name, active, config #>> '{pacing,min_interval_ms}' from public.configuracion_mensajeria_usuario$$,
  $$values ('11111111-1111-4111-8111-111111111111'::uuid, 'whatsapp'::text, 'Ventas'::text, true, '1500'::text)$$,
  'her settings are hers, one row for the platform');
select lives_ok($$select public.save_messaging_settings(null, false, '{}')$$, 'saving again replaces (pauses, back to defaults)');
select results_eq($$select count(*)::int, bool_and(not active), bool_and(config = '{}') from public.configuracion_mensajeria_usuario$$,
  $$values (1, true, true)$$, 'still one row, paused, with an empty config');

select throws_ok($$select public.save_messaging_settings(null, true, '{"pacing": {"min_interval_ms": -1}}')$$,
  'WL422', 'pacing.min_interval_ms must be a whole number of milliseconds from 0 to 3600000', 'a negative interval is refused');
select throws_ok($$select public.save_messaging_settings(null, true, '{"pacing": {"jitter_ms": 1.5}}')$$,
  'WL422', 'pacing.jitter_ms must be a whole number of milliseconds from 0 to 3600000', 'a fractional jitter is refused');
select throws_ok($$select public.save_messaging_settings(null, true, '{"default_country": "spain"}')$$,
  'WL422', 'default_country must be a two-letter country code such as US or ES, or null', 'a country that is not a code is refused');
select throws_ok($$select public.save_messaging_settings(null, true, '{"media_max_bytes": 0}')$$,
  'WL422', 'media_max_bytes must be a whole number of bytes from 1 to 2147483647', 'a zero media cap is refused');
select throws_ok($$select public.save_messaging_settings(null, true, '{"typing_indicator": "yes"}')$$,
  'WL422', 'typing_indicator must be true or false', 'a non-boolean switch is refused');
select throws_ok($$select public.save_messaging_settings(null, true, '{"webhook": {"url": "ftp://x.example"}}')$$,
  'WL422', 'webhook.url must be an http(s) URL without credentials, at most 2048 characters', 'a non-http webhook is refused');
select throws_ok($$select public.save_messaging_settings(null, true, '{"webhook": {"url": "https://user:pw@x.example/"}}')$$,
  'WL422', 'webhook.url must be an http(s) URL without credentials, at most 2048 characters', 'credentials in the URL are refused');
select throws_ok($$select public.save_messaging_settings(null, true, '{"webhook": {"enabled": true}}')$$,
  'WL422', 'webhook.enabled needs webhook.url', 'an enabled webhook without a URL is refused');
select throws_ok($$select public.save_messaging_settings(null, true, '{"webhook": {"url": "https://x.example", "secret": "whsec_x"}}')$$,
  'WL422', 'webhook.secret is not a known setting (the secret is set apart, never in config)', 'the secret never goes into config');
select throws_ok($$select public.save_messaging_settings(null, true, '{"colour": "green"}')$$,
  'WL422', 'colour is not a known setting', 'unknown keys are refused');
select throws_ok($$update public.configuracion_mensajeria_usuario set config = '{"history_import": 1}'$$,
  '23514', null, 'a direct table write with a bad config breaks the check constraint');
select results_eq($$select config from public.configuracion_mensajeria_usuario$$, $$values ('{}'::jsonb)$$,
  'nothing of the refused writes was kept');

select matches(public.rotate_webhook_secret(), '^whsec_[A-Za-z0-9+/]{43}=$', 'a generated secret is whsec_ + 32 random bytes, returned once');
select throws_ok($$select public.rotate_webhook_secret('whsec_short')$$, 'WL422', null, 'a weak secret is refused');

reset role;
select results_eq(
  $$select count(*)::int from public.messaging_webhook_secrets where user_id = '11111111-1111-4111-8111-111111111111'$$,
  $$values (1)$$, 'alice''s secret is stored, apart from bob''s');

select * from finish();
rollback;
