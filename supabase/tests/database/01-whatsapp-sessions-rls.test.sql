-- whatsapp_sessions under RLS: users see and delete only their own (finished) sessions, may insert a
-- link request only for themselves and only the user-choosable columns; anon reaches nothing.
begin;
select plan(24);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'
\set carol '{"sub":"33333333-3333-4333-8333-333333333333","role":"authenticated"}'

-- Arrange as the table owner (RLS does not apply to it).
insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@rls.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@rls.test'),
  ('33333333-3333-4333-8333-333333333333', 'carol@rls.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('aaaaaaaa-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'logged_out', '+15550000001', null);
insert into public.whatsapp_sessions (id, user_id, status, qr, qr_expires_at) values
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'qr', '2@bob-qr', now() + interval '20 seconds');

-- alice -----------------------------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);

select results_eq(
  $$select id from public.whatsapp_sessions order by created_at, id$$,
  $$values ('aaaaaaaa-0000-4000-8000-000000000001'::uuid), ('aaaaaaaa-0000-4000-8000-000000000002'::uuid)$$,
  'alice sees exactly her own two sessions');
select is_empty(
  $$select 1 from public.whatsapp_sessions where id = 'bbbbbbbb-0000-4000-8000-000000000001'$$,
  'alice cannot see bob''s session (nor his QR)');

select throws_ok(
  $$update public.whatsapp_sessions set status = 'connected' where id = 'aaaaaaaa-0000-4000-8000-000000000002'$$,
  '42501', null, 'alice cannot change the status of her own session (connector-owned)');
select throws_ok(
  $$update public.whatsapp_sessions set qr = 'x', qr_expires_at = now() where id = 'aaaaaaaa-0000-4000-8000-000000000001'$$,
  '42501', null, 'alice cannot set the QR of her own session');
select throws_ok(
  $$update public.whatsapp_sessions set lease_owner = 'me', lease_expires_at = now() + interval '1 hour'$$,
  '42501', null, 'alice cannot take a connector lease');
select throws_ok(
  $$insert into public.whatsapp_sessions (user_id, status) values ('11111111-1111-4111-8111-111111111111', 'connected')$$,
  '42501', null, 'alice cannot insert a session with a status');
select throws_ok(
  $$insert into public.whatsapp_sessions (user_id, phone_number, wa_jid) values ('11111111-1111-4111-8111-111111111111', '+15550000009', '15550000009@s.whatsapp.net')$$,
  '42501', null, 'alice cannot insert a session with a phone number or WhatsApp ids');
select throws_ok(
  $$insert into public.whatsapp_sessions (user_id, lease_owner, lease_epoch) values ('11111111-1111-4111-8111-111111111111', 'me', 99)$$,
  '42501', null, 'alice cannot insert a session with lease columns');
select throws_ok(
  $$insert into public.whatsapp_sessions (user_id) values ('33333333-3333-4333-8333-333333333333')$$,
  '42501', null, 'alice cannot start a link for another user');
select throws_ok(
  $$insert into public.whatsapp_sessions (link_method) values ('qr')$$,
  '23505', null, 'alice cannot have a second active session (one active session per user)');

delete from public.whatsapp_sessions where id = 'aaaaaaaa-0000-4000-8000-000000000001';
select isnt_empty(
  $$select 1 from public.whatsapp_sessions where id = 'aaaaaaaa-0000-4000-8000-000000000001'$$,
  'alice''s delete of her active session removes nothing');
delete from public.whatsapp_sessions where id = 'bbbbbbbb-0000-4000-8000-000000000001';
delete from public.whatsapp_sessions where id = 'aaaaaaaa-0000-4000-8000-000000000002';
select is_empty(
  $$select 1 from public.whatsapp_sessions where id = 'aaaaaaaa-0000-4000-8000-000000000002'$$,
  'alice can delete her finished (logged out) session');

-- bob ---------------------------------------------------------------------------------------------------
select set_config('request.jwt.claims', :'bob', true);
select results_eq(
  $$select id, qr from public.whatsapp_sessions$$,
  $$values ('bbbbbbbb-0000-4000-8000-000000000001'::uuid, '2@bob-qr'::text)$$,
  'bob sees only his session, with its QR, and alice''s delete did not touch it');
select throws_ok(
  $$update public.whatsapp_sessions set user_id = '11111111-1111-4111-8111-111111111111'$$,
  '42501', null, 'bob cannot hand his session to someone else');

-- carol (no session yet) ---------------------------------------------------------------------------------
select set_config('request.jwt.claims', :'carol', true);
select is_empty($$select 1 from public.whatsapp_sessions$$, 'carol sees no session');
select throws_ok(
  $$insert into public.whatsapp_sessions (link_method) values ('pairing_code')$$,
  '23514', null, 'a pairing-code link needs the phone number');
select throws_ok(
  $$insert into public.whatsapp_sessions (link_method, pairing_phone) values ('pairing_code', '5551234')$$,
  '23514', null, 'the pairing phone must be in E.164 form');
select lives_ok(
  $$insert into public.whatsapp_sessions (link_method, pairing_phone) values ('pairing_code', '+15551234567')$$,
  'carol can start a link for herself, choosing only how to link');
select results_eq(
  $$select user_id, status, link_method from public.whatsapp_sessions$$,
  $$values ('33333333-3333-4333-8333-333333333333'::uuid, 'new'::public.session_status, 'pairing_code'::public.link_method)$$,
  'carol''s new session belongs to her (user_id defaults to auth.uid()) and starts as new');

-- anon ------------------------------------------------------------------------------------------------------
reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select * from public.whatsapp_sessions$$, '42501', null, 'anon cannot read sessions');
select throws_ok($$insert into public.whatsapp_sessions (link_method) values ('qr')$$, '42501', null, 'anon cannot insert sessions');
select throws_ok($$delete from public.whatsapp_sessions$$, '42501', null, 'anon cannot delete sessions');

-- as the owner again: what really is in the table ------------------------------------------------------------
reset role;
select is(
  (select count(*)::int from public.whatsapp_sessions
    where id in ('aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001')),
  2, 'the active sessions alice tried to delete are still there');
select is(
  (select status from public.whatsapp_sessions where id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  'connected', 'alice''s session is unchanged');

select * from finish();
rollback;
