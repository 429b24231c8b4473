-- The user API: request_whatsapp_link starts a link or reuses the active session (never a second
-- session, never a second live connect command); request_session_command queues commands only for the
-- caller's own active sessions, with WL404 / WL409 / WL422 for the cases the API maps to 404/409/422.
begin;
select plan(26);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'
\set carol '{"sub":"33333333-3333-4333-8333-333333333333","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@rpc.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@rpc.test'),
  ('33333333-3333-4333-8333-333333333333', 'carol@rpc.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connected', '+15550000002', now()),
  ('bbbbbbbb-0000-4000-8000-000000000002', '22222222-2222-4222-8222-222222222222', 'logged_out', '+15550000002', null);

set local role authenticated;

-- request_whatsapp_link ----------------------------------------------------------------------------------
select set_config('request.jwt.claims', :'alice', true);
create temporary table alice_link on commit drop as select * from public.request_whatsapp_link();
select results_eq(
  $$select user_id, status, link_method from alice_link$$,
  $$values ('11111111-1111-4111-8111-111111111111'::uuid, 'new'::public.session_status, 'qr'::public.link_method)$$,
  'a first link request creates a new QR session for the caller');
select results_eq(
  $$select command, status, payload from public.session_commands where session_id = (select id from alice_link)$$,
  $$values ('connect'::public.session_command, 'pending'::public.command_status, '{"method": "qr"}'::jsonb)$$,
  '… and one pending connect command for the connector');
select is((select id from public.request_whatsapp_link()), (select id from alice_link),
  'asking again returns the same session');
select is((select count(*)::int from public.session_commands where session_id = (select id from alice_link)),
  1, '… without queueing a second connect command');
select is((select count(*)::int from public.whatsapp_sessions), 1, 'alice still has exactly one session');

select throws_ok($$select public.request_whatsapp_link('sms')$$, 'WL422', null, 'an unknown link method is WL422');
select throws_ok($$select public.request_whatsapp_link(null)$$, 'WL422', null, 'a missing link method is WL422');
select throws_ok($$select public.request_whatsapp_link('pairing_code')$$, 'WL422', null,
  'a pairing code without a phone number is WL422');
select throws_ok($$select public.request_whatsapp_link('pairing_code', '555-1234')$$, 'WL422', null,
  'a pairing code with a non-E.164 phone number is WL422');

select set_config('request.jwt.claims', :'carol', true);
create temporary table carol_link on commit drop as
  select * from public.request_whatsapp_link('pairing_code', '+15551234567');
select results_eq(
  $$select s.link_method, s.pairing_phone, c.payload
      from carol_link s join public.session_commands c on c.session_id = s.id$$,
  $$values ('pairing_code'::public.link_method, '+15551234567'::text, '{"method": "pairing_code", "phone": "+15551234567"}'::jsonb)$$,
  'a pairing-code link records the phone on the session and in the connect command');

select set_config('request.jwt.claims', :'bob', true);
select is((select id from public.request_whatsapp_link()), 'bbbbbbbb-0000-4000-8000-000000000001'::uuid,
  'a user with a connected session gets that session back');
select is(
  (select count(*)::int from public.session_commands where session_id = 'bbbbbbbb-0000-4000-8000-000000000001'),
  0, '… and no connect command is queued for a connected session');

select set_config('request.jwt.claims', '{"role":"authenticated"}', true);
select throws_ok($$select public.request_whatsapp_link()$$, '42501', null, 'a token without a subject cannot link');

-- request_session_command --------------------------------------------------------------------------------
select set_config('request.jwt.claims', :'alice', true);
select throws_ok($$select public.request_session_command('bbbbbbbb-0000-4000-8000-000000000001', 'logout')$$,
  'WL404', null, 'a command for another user''s session is WL404 (indistinguishable from a missing one)');
select throws_ok($$select public.request_session_command(gen_random_uuid(), 'logout')$$,
  'WL404', null, 'a command for a session that does not exist is WL404');
select throws_ok(format('select public.request_session_command(%L, %L)', (select id from alice_link), 'connect'),
  'WL422', null, 'connect is not a command users send this way (WL422)');
select throws_ok(format('select public.request_session_command(%L, %L)', (select id from alice_link), 'reconnect'),
  'WL409', null, 'reconnect of a session that was never linked is WL409');

select set_config('request.jwt.claims', :'bob', true);
select throws_ok($$select public.request_session_command('bbbbbbbb-0000-4000-8000-000000000002', 'disconnect')$$,
  'WL409', null, 'a command for a finished (logged out) session is WL409');
select results_eq(
  $$select session_id, user_id, command, status from public.request_session_command('bbbbbbbb-0000-4000-8000-000000000001', 'disconnect')$$,
  $$values ('bbbbbbbb-0000-4000-8000-000000000001'::uuid, '22222222-2222-4222-8222-222222222222'::uuid, 'disconnect'::public.session_command, 'pending'::public.command_status)$$,
  'bob can ask to disconnect his connected session');
select lives_ok($$select public.request_session_command('bbbbbbbb-0000-4000-8000-000000000001', 'reconnect')$$,
  'bob can ask to reconnect his linked session');

reset role;  -- the connector ran both commands: the session is disconnected
update public.session_commands set status = 'done', completed_at = now()
 where session_id = 'bbbbbbbb-0000-4000-8000-000000000001';
update public.whatsapp_sessions set status = 'disconnected', disconnected_at = now()
 where id = 'bbbbbbbb-0000-4000-8000-000000000001';
set local role authenticated;
select set_config('request.jwt.claims', :'bob', true);
select throws_ok($$select public.request_session_command('bbbbbbbb-0000-4000-8000-000000000001', 'disconnect')$$,
  'WL409', null, 'disconnecting an already disconnected session is WL409');
select lives_ok($$select public.request_session_command('bbbbbbbb-0000-4000-8000-000000000001', 'logout')$$,
  'a disconnected session can still be logged out');
select results_eq(
  $$select id, status from public.request_whatsapp_link()$$,
  $$values ('bbbbbbbb-0000-4000-8000-000000000001'::uuid, 'disconnected'::public.session_status)$$,
  'linking again reuses the disconnected session (its credentials are kept) …');
select is(
  (select count(*)::int from public.session_commands
    where session_id = 'bbbbbbbb-0000-4000-8000-000000000001' and command = 'connect' and status = 'pending'),
  1, '… and queues a connect command for it');

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select public.request_session_command('bbbbbbbb-0000-4000-8000-000000000001', 'logout')$$,
  '42501', null, 'anon cannot send commands');

reset role;
select is(
  (select count(*)::int from public.whatsapp_sessions where user_id in (
    '11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333')),
  4, 'in the end: alice 1, bob 2, carol 1 sessions');

select * from finish();
rollback;
