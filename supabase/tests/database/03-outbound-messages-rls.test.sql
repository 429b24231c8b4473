-- outbound_messages under RLS: users queue messages only on their own sessions, only with the content
-- columns (never status, claims, attempts or WhatsApp ids), see only their own rows; anon reaches nothing.
begin;
select plan(21);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@rls.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@rls.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connected', '+15550000002', now());
insert into public.whatsapp_sessions (id, user_id, status) values
  ('aaaaaaaa-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'logged_out');
insert into public.outbound_messages (id, session_id, user_id, recipient, text) values
  ('bbbbbbbb-1111-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', '+15557770000', 'from bob');

set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);

select is_empty($$select 1 from public.outbound_messages$$, 'alice sees none of bob''s messages');
select lives_ok(
  $$insert into public.outbound_messages (session_id, recipient, text, idempotency_key)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'hello', 'order-1')$$,
  'alice can queue a text on her own session (user_id defaults to auth.uid())');
select results_eq(
  $$select user_id, status, attempts, claimed_by, wa_message_id ~ '^3EB0[0-9A-F]{20}$' from public.outbound_messages$$,
  $$values ('11111111-1111-4111-8111-111111111111'::uuid, 'queued'::public.outbound_status, 0, null::text, true)$$,
  'her message is hers, queued, unclaimed, with a WhatsApp id derived from the row id');
select throws_ok(
  $$insert into public.outbound_messages (session_id, recipient, text, idempotency_key)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'hello again', 'order-1')$$,
  '23505', null, 'the same idempotency key twice is refused');
select throws_ok(
  $$insert into public.outbound_messages (session_id, recipient, text) values ('bbbbbbbb-0000-4000-8000-000000000001', '+15557770001', 'spoof')$$,
  '42501', null, 'alice cannot queue on bob''s session under her own id');
select throws_ok(
  $$insert into public.outbound_messages (session_id, user_id, recipient, text)
    values ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', '+15557770001', 'spoof')$$,
  '42501', null, 'alice cannot queue on bob''s session in bob''s name');
select throws_ok(
  $$insert into public.outbound_messages (session_id, recipient, text, status, sent_at)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'x', 'sent', now())$$,
  '42501', null, 'alice cannot insert a message with a status');
select throws_ok(
  $$insert into public.outbound_messages (session_id, recipient, text, attempts) values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'x', 5)$$,
  '42501', null, 'alice cannot insert a message with attempts');
select throws_ok(
  $$insert into public.outbound_messages (session_id, recipient, text, claimed_by, claim_expires_at)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'x', 'me', now())$$,
  '42501', null, 'alice cannot insert a message with claim columns');
select throws_ok(
  $$insert into public.outbound_messages (id, session_id, recipient, text)
    values (gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'x')$$,
  '42501', null, 'alice cannot choose the row id (the WhatsApp message id derives from it)');
select throws_ok(
  $$insert into public.outbound_messages (session_id, recipient, text, next_attempt_at)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'x', now() - interval '1 day')$$,
  '42501', null, 'alice cannot insert a message with a scheduling column');
select throws_ok(
  $$insert into public.outbound_messages (session_id, recipient, text, recipient_jid, error)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'x', '1@s.whatsapp.net', 'no')$$,
  '42501', null, 'alice cannot insert a message with a resolved JID or an error');
select throws_ok(
  $$update public.outbound_messages set status = 'read', sent_at = now(), read_at = now()$$,
  '42501', null, 'alice cannot update her messages (status is connector-owned)');
select throws_ok(
  $$update public.outbound_messages set text = 'edited'$$,
  '42501', null, 'alice cannot edit a queued message');
select throws_ok($$delete from public.outbound_messages$$, '42501', null, 'alice cannot delete messages');
select throws_ok(
  $$insert into public.outbound_messages (session_id, recipient, text) values ('aaaaaaaa-0000-4000-8000-000000000002', '+15557770001', 'x')$$,
  'WL409', null, 'alice cannot queue on her logged-out session: nothing would ever send it');

select set_config('request.jwt.claims', :'bob', true);
select results_eq(
  $$select id from public.outbound_messages$$,
  $$values ('bbbbbbbb-1111-4000-8000-000000000001'::uuid)$$,
  'bob sees only his own message');
select lives_ok(
  $$insert into public.outbound_messages (session_id, recipient, text, idempotency_key)
    values ('bbbbbbbb-0000-4000-8000-000000000001', '+15557770001', 'hello', 'order-1')$$,
  'bob may use the same idempotency key as alice (unique per user)');

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select * from public.outbound_messages$$, '42501', null, 'anon cannot read messages');
select throws_ok(
  $$insert into public.outbound_messages (session_id, user_id, recipient, text)
    values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', '+15557770001', 'x')$$,
  '42501', null, 'anon cannot queue messages');

reset role;
select is(
  (select count(*)::int from public.outbound_messages
    where session_id in ('aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001')),
  3, 'exactly the three allowed messages exist');

select * from finish();
rollback;
