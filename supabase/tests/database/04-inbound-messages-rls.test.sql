-- inbound_messages under RLS: read-only for users (only the connector writes), own rows only; anon
-- reaches nothing.
begin;
select plan(10);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@rls.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@rls.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connected', '+15550000002', now());
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, text, wa_timestamp) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'A1', '15557770001@s.whatsapp.net', 'text', 'hi alice', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'B1', '15557770001@s.whatsapp.net', 'text', 'hi bob', now());

set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);
select results_eq($$select text from public.inbound_messages$$, $$values ('hi alice'::text)$$,
  'alice reads only what was written to her session');
select throws_ok(
  $$insert into public.inbound_messages (session_id, wa_message_id, chat_jid, message_type, wa_timestamp)
    values ('aaaaaaaa-0000-4000-8000-000000000001', 'FAKE', '1@s.whatsapp.net', 'text', now())$$,
  '42501', null, 'alice cannot forge an inbound message, even on her own session');
select throws_ok($$update public.inbound_messages set text = 'edited'$$, '42501', null, 'alice cannot edit inbound messages');
select throws_ok($$delete from public.inbound_messages$$, '42501', null, 'alice cannot delete inbound messages');

select set_config('request.jwt.claims', :'bob', true);
select results_eq($$select text from public.inbound_messages$$, $$values ('hi bob'::text)$$,
  'bob reads only his own inbound messages');

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select * from public.inbound_messages$$, '42501', null, 'anon cannot read inbound messages');
select throws_ok(
  $$insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, wa_timestamp)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'X', '1@s.whatsapp.net', 'text', now())$$,
  '42501', null, 'anon cannot insert inbound messages');
select throws_ok($$select last_value from public.inbound_messages_id_seq$$, '42501', null,
  'anon cannot read the inbound id sequence (it would leak how many messages exist)');

reset role;
select throws_ok(
  $$insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, wa_timestamp)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'A1', '15557770001@s.whatsapp.net', 'text', now())$$,
  '23505', null, 'a replayed inbound message (same session and WhatsApp id) is refused');
select is(
  (select count(*)::int from public.inbound_messages
    where session_id in ('aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001')),
  2, 'nothing was added by users or anon');

select * from finish();
rollback;
