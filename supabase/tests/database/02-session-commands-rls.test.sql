-- session_commands under RLS: users see only their own commands and may queue commands only for their
-- own sessions, never setting the connector-owned columns; anon reaches nothing.
begin;
select plan(17);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@rls.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@rls.test');
insert into public.whatsapp_sessions (id, user_id) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111'),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222');
insert into public.session_commands (session_id, user_id, command) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connect'),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connect');

set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);

select results_eq(
  $$select session_id, command from public.session_commands$$,
  $$values ('aaaaaaaa-0000-4000-8000-000000000001'::uuid, 'connect'::public.session_command)$$,
  'alice sees only the command of her own session');
select lives_ok(
  $$insert into public.session_commands (session_id, command) values ('aaaaaaaa-0000-4000-8000-000000000001', 'disconnect')$$,
  'alice can queue a command for her own session (user_id defaults to auth.uid())');
select results_eq(
  $$select user_id, status, attempts, claimed_by from public.session_commands where command = 'disconnect'$$,
  $$values ('11111111-1111-4111-8111-111111111111'::uuid, 'pending'::public.command_status, 0, null::text)$$,
  'her command is hers and pending, unclaimed');
select throws_ok(
  $$insert into public.session_commands (session_id, command) values ('bbbbbbbb-0000-4000-8000-000000000001', 'logout')$$,
  '42501', null, 'alice cannot queue a command for bob''s session under her own user id');
select throws_ok(
  $$insert into public.session_commands (session_id, user_id, command) values ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'logout')$$,
  '42501', null, 'alice cannot queue a command for bob''s session in bob''s name');
select throws_ok(
  $$insert into public.session_commands (session_id, command, status) values ('aaaaaaaa-0000-4000-8000-000000000001', 'logout', 'done')$$,
  '42501', null, 'alice cannot insert a command with a status');
select throws_ok(
  $$insert into public.session_commands (session_id, command, claimed_by, claim_expires_at) values ('aaaaaaaa-0000-4000-8000-000000000001', 'logout', 'x', now())$$,
  '42501', null, 'alice cannot insert a command with claim columns');
select throws_ok(
  $$insert into public.session_commands (session_id, command, attempts) values ('aaaaaaaa-0000-4000-8000-000000000001', 'logout', 3)$$,
  '42501', null, 'alice cannot insert a command with attempts');
select throws_ok(
  $$update public.session_commands set status = 'done', completed_at = now()$$,
  '42501', null, 'alice cannot update commands (status is connector-owned)');
select throws_ok(
  $$delete from public.session_commands$$,
  '42501', null, 'alice cannot delete commands');
select throws_ok(
  $$insert into public.session_commands (session_id, command) values ('aaaaaaaa-0000-4000-8000-000000000001', 'self_destruct')$$,
  '22P02', null, 'an unknown command is refused (not a session_command)');
select throws_ok(
  $$insert into public.session_commands (session_id, command, payload) values ('aaaaaaaa-0000-4000-8000-000000000001', 'connect', '[1]')$$,
  '23514', null, 'a payload must be a JSON object');

select set_config('request.jwt.claims', :'bob', true);
select results_eq(
  $$select session_id, command from public.session_commands$$,
  $$values ('bbbbbbbb-0000-4000-8000-000000000001'::uuid, 'connect'::public.session_command)$$,
  'bob sees only his own command');

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select * from public.session_commands$$, '42501', null, 'anon cannot read commands');
select throws_ok(
  $$insert into public.session_commands (session_id, user_id, command) values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'logout')$$,
  '42501', null, 'anon cannot queue commands');
select throws_ok($$select last_value from public.session_commands_id_seq$$, '42501', null,
  'anon cannot read the command id sequence (it would leak how many commands exist)');

reset role;
select is(
  (select count(*)::int from public.session_commands
    where session_id in ('aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001')),
  3, 'only alice''s one allowed command was added');

select * from finish();
rollback;
