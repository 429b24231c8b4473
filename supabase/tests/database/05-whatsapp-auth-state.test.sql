-- whatsapp_auth_state (Baileys credentials and Signal keys) is unreachable for anon and authenticated:
-- no privilege at all, and RLS on with no policy as a second wall. Even the session's own user is refused.
begin;
select plan(26);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'

insert into auth.users (id, email) values ('11111111-1111-4111-8111-111111111111', 'alice@rls.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now());
insert into public.whatsapp_sessions (id, user_id, status) values
  ('aaaaaaaa-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'logged_out');
insert into public.whatsapp_auth_state (session_id, kind, key_id, value) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'creds', '', '\x01'),
  ('aaaaaaaa-0000-4000-8000-000000000002', 'creds', '', '\x02'),
  ('aaaaaaaa-0000-4000-8000-000000000002', 'pre-key', '1', '\x03');

-- No privilege of any kind, on the table or on any column.
select ok(not has_table_privilege(r.role, 'public.whatsapp_auth_state', p.priv),
          format('%s has no %s privilege on whatsapp_auth_state', r.role, p.priv))
  from (values ('anon'), ('authenticated')) as r(role)
  cross join (values ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) as p(priv);
select ok(not has_any_column_privilege(r.role, 'public.whatsapp_auth_state', 'SELECT, INSERT, UPDATE, REFERENCES'),
          format('%s has no column privilege on whatsapp_auth_state', r.role))
  from (values ('anon'), ('authenticated')) as r(role);

set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);
select throws_ok($$select * from public.whatsapp_auth_state$$, '42501', null,
  'alice cannot read the credentials of her own session');
select throws_ok(
  $$insert into public.whatsapp_auth_state (session_id, kind, value) values ('aaaaaaaa-0000-4000-8000-000000000001', 'creds', '\x00')$$,
  '42501', null, 'alice cannot write credentials');
select throws_ok($$update public.whatsapp_auth_state set value = '\x00'$$, '42501', null, 'alice cannot overwrite credentials');
select throws_ok($$delete from public.whatsapp_auth_state$$, '42501', null, 'alice cannot delete credentials directly');

-- Deleting her finished session removes its credentials through the foreign key (run as the owner).
delete from public.whatsapp_sessions where id = 'aaaaaaaa-0000-4000-8000-000000000002';

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select * from public.whatsapp_auth_state$$, '42501', null, 'anon cannot read credentials');
select throws_ok(
  $$insert into public.whatsapp_auth_state (session_id, kind, value) values ('aaaaaaaa-0000-4000-8000-000000000001', 'creds', '\x00')$$,
  '42501', null, 'anon cannot write credentials');
select throws_ok($$update public.whatsapp_auth_state set value = '\x00'$$, '42501', null, 'anon cannot overwrite credentials');
select throws_ok($$delete from public.whatsapp_auth_state$$, '42501', null, 'anon cannot delete credentials');

reset role;
set local role service_role;
select is(
  (select count(*)::int from public.whatsapp_auth_state where session_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  1, 'service_role (the connector''s role on a hosted project) reads the credentials');

reset role;
select results_eq(
  $$select session_id, kind from public.whatsapp_auth_state
     where session_id in ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002')$$,
  $$values ('aaaaaaaa-0000-4000-8000-000000000001'::uuid, 'creds'::text)$$,
  'the live session''s credentials are intact; the deleted session''s went with it');

select * from finish();
rollback;
