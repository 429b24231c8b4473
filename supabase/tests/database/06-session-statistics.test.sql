-- session_statistics is a security_invoker view: each user sees only the line about their own
-- sessions; anon sees nothing.
begin;
select plan(5);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'
\set carol '{"sub":"33333333-3333-4333-8333-333333333333","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@rls.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@rls.test'),
  ('33333333-3333-4333-8333-333333333333', 'carol@rls.test');
insert into public.whatsapp_sessions (user_id, status, phone_number, connected_at) values
  ('11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('11111111-1111-4111-8111-111111111111', 'expired', '+15550000001', null),
  ('11111111-1111-4111-8111-111111111111', 'logged_out', null, null),
  ('22222222-2222-4222-8222-222222222222', 'new', null, null);

set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);
select results_eq(
  $$select user_id, total_sessions, active_sessions, connected_sessions, expired_sessions from public.session_statistics$$,
  $$values ('11111111-1111-4111-8111-111111111111'::uuid, 3, 1, 1, 1)$$,
  'alice sees one line: her own three sessions, one active and connected, one expired');

select set_config('request.jwt.claims', :'bob', true);
select results_eq(
  $$select user_id, total_sessions, active_sessions, connected_sessions, expired_sessions from public.session_statistics$$,
  $$values ('22222222-2222-4222-8222-222222222222'::uuid, 1, 1, 0, 0)$$,
  'bob sees only his own line');

select set_config('request.jwt.claims', :'carol', true);
select is_empty($$select * from public.session_statistics$$, 'carol, without sessions, sees no line');

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select * from public.session_statistics$$, '42501', null, 'anon cannot read session statistics');

reset role;
select ok(not has_table_privilege('authenticated', 'public.session_statistics', 'INSERT, UPDATE, DELETE'),
  'the statistics view is read-only for users');

select * from finish();
rollback;
