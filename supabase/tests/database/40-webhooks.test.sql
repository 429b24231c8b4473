-- The webhook outbox: events are written by the change itself (same transaction, nothing when the webhook
-- is off or not subscribed), with stable ids; the connector's claim/attempt cycle (retry, dead letter,
-- delivered); users read only their own events and delivery log, and redeliver only their own.
begin;
select plan(33);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@rls.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@rls.test');
insert into public.configuracion_mensajeria_usuario (user_id, config) values
  ('11111111-1111-4111-8111-111111111111', '{"webhook": {"url": "https://alice.example/hook", "enabled": false}}'),
  ('22222222-2222-4222-8222-222222222222',
   '{"webhook": {"url": "https://bob.example/hook", "enabled": true, "events": ["message.received", "message.status", "session.status"]}}');
insert into public.messaging_webhook_secrets (user_id, secret) values
  ('22222222-2222-4222-8222-222222222222', 'whsec_' || encode(extensions.gen_random_bytes(32), 'base64'));
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connected', '+15550000002', now());

-- Writing events
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_phone, message_type, text, wa_timestamp) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'A1', '15557770001@s.whatsapp.net', '+15557770001', 'text', 'hi alice', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'B1', '15557770001@s.whatsapp.net', '+15557770001', 'text', 'hi bob', now());
select is_empty($$select 1 from public.webhook_events where user_id = '11111111-1111-4111-8111-111111111111'$$,
  'a disabled webhook gets no events');
select results_eq(
  $$select event_type, id = 'evt_' || md5('message.received:bbbbbbbb-0000-4000-8000-000000000001:B1'),
           data #>> '{message,text}', data #>> '{contact,phone}', status
      from public.webhook_events$$,
  $$values ('message.received'::text, true, 'hi bob'::text, '+15557770001'::text, 'pending'::text)$$,
  'an inbound message is a message.received event with an id derived from the message');
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_phone, message_type, text, wa_timestamp, imported) values
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'B0', '15557770001@s.whatsapp.net', '+15557770001', 'text', 'last year', now() - interval '1 year', true);
select is_empty($$select 1 from public.webhook_events where data #>> '{message,wa_message_id}' = 'B0'$$,
  'a message imported from the history sent on link is no message.received (a CRM would answer a year of history)');

insert into public.outbound_messages (id, session_id, user_id, recipient, text) values
  ('0b000000-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', '+15557770001', 'hello');
select is_empty($$select 1 from public.webhook_events where event_type = 'message.status'$$, 'queueing a message is no status event');
update public.outbound_messages set status = 'sending', claimed_by = 'c1', claim_expires_at = now() + interval '1 minute'
 where id = '0b000000-0000-4000-8000-000000000001';
update public.outbound_messages set status = 'sent', sent_at = now(), claimed_by = null, claim_expires_at = null
 where id = '0b000000-0000-4000-8000-000000000001';
update public.outbound_messages set status = 'delivered', delivered_at = now() where id = '0b000000-0000-4000-8000-000000000001';
select results_eq(
  $$select data #>> '{message,status}' from public.webhook_events where event_type = 'message.status' order by data #>> '{message,status}'$$,
  $$values ('delivered'::text), ('sent'::text)$$, 'sent and delivered are one event each, "sending" none');
select is(public.enqueue_webhook_event('22222222-2222-4222-8222-222222222222', 'message.status',
    '0b000000-0000-4000-8000-000000000001:sent', '{}'),
  'evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:sent'), 'the same fact gives the same id');
select results_eq($$select count(*)::int from public.webhook_events where event_type = 'message.status'$$, $$values (2)$$,
  'and writing it again adds nothing');

update public.whatsapp_sessions set status = 'qr', qr = 'secret-qr-ref', qr_expires_at = now() + interval '1 minute'
 where id = 'bbbbbbbb-0000-4000-8000-000000000001';
select results_eq(
  $$select data #>> '{session,status}', data #>> '{session,previous_status}', data::text like '%secret-qr-ref%'
      from public.webhook_events where event_type = 'session.status'$$,
  $$values ('qr'::text, 'connected'::text, false)$$, 'a session status change is an event that never carries the QR');
update public.whatsapp_sessions set last_activity_at = now() where id = 'bbbbbbbb-0000-4000-8000-000000000001';
select results_eq($$select count(*)::int from public.webhook_events where event_type = 'session.status'$$, $$values (1)$$,
  'a session write that keeps the status is no event');

update public.configuracion_mensajeria_usuario set config = '{"webhook": {"url": "https://bob.example/hook", "enabled": true, "events": ["session.status"]}}'
 where user_id = '22222222-2222-4222-8222-222222222222';
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, text, wa_timestamp) values
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'B2', '15557770001@s.whatsapp.net', 'text', 'unsubscribed', now());
select is_empty($$select 1 from public.webhook_events where data #>> '{message,text}' = 'unsubscribed'$$,
  'an event type the user did not subscribe to is not written');

-- A change that rolls back leaves no event.
savepoint before_insert;
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, text, wa_timestamp) values
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'B3', '15557770001@s.whatsapp.net', 'text', 'rolled back', now());
rollback to savepoint before_insert;
select is_empty($$select 1 from public.webhook_events where data #>> '{message,text}' = 'rolled back'$$,
  'a rolled-back change leaves no event');

-- Delivery: one event per user in flight, oldest due first.
update public.webhook_events set next_attempt_at = now() - interval '1 minute' * case event_type
  when 'message.received' then 4 when 'session.status' then 1 else 3 end;
update public.webhook_events set next_attempt_at = next_attempt_at + interval '1 second'
 where id = 'evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:delivered');
select results_eq($$select id from public.claim_webhook_events('c1', 10, interval '1 minute')$$,
  $$values ('evt_' || md5('message.received:bbbbbbbb-0000-4000-8000-000000000001:B1'))$$, 'the connector claims bob''s oldest due event only (alice has no webhook on)');
select is_empty($$select 1 from public.claim_webhook_events('c2', 10, interval '1 minute')$$,
  'while it is in flight nothing else of bob''s is claimed, by any connector');
insert into auth.users (id, email) values ('33333333-3333-4333-8333-333333333333', 'carol@rls.test');
insert into public.configuracion_mensajeria_usuario (user_id, config) values
  ('33333333-3333-4333-8333-333333333333', '{"webhook": {"url": "https://carol.example/hook", "enabled": true}}');
insert into public.messaging_webhook_secrets (user_id, secret) values
  ('33333333-3333-4333-8333-333333333333', 'whsec_' || encode(extensions.gen_random_bytes(32), 'base64'));
select public.enqueue_webhook_event('33333333-3333-4333-8333-333333333333', 'message.received', 'carol-1', '{}');
select results_eq($$select user_id::text from public.claim_webhook_events('c2', 10, interval '1 minute')$$,
  $$values ('33333333-3333-4333-8333-333333333333'::text)$$, 'another user''s event is not held back by bob''s');
select ok(public.record_webhook_attempt('evt_' || md5('message.received:bbbbbbbb-0000-4000-8000-000000000001:B1'), 'c1', 'https://bob.example/hook', 500, 'HTTP 500', 12, interval '1 second'),
  'a 500 is recorded');
select results_eq(
  $$select status, attempts, last_status_code, next_attempt_at > now() from public.webhook_events
     where id = 'evt_' || md5('message.received:bbbbbbbb-0000-4000-8000-000000000001:B1')$$,
  $$values ('pending'::text, 1, 500, true)$$, 'and the event waits for its retry');
select ok(not public.record_webhook_attempt('evt_' || md5('message.received:bbbbbbbb-0000-4000-8000-000000000001:B1'), 'c1', 'https://bob.example/hook', 200, null, 5, null),
  'an attempt without the claim is refused');
select results_eq($$select id from public.claim_webhook_events('c1', 10, interval '1 minute')$$,
  $$values ('evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:sent'))$$, 'bob''s next due event goes ahead of the one waiting for its retry');
select ok(public.record_webhook_attempt('evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:sent'), 'c1', 'https://bob.example/hook', 204, null, 8, interval '1 second'),
  'a 2xx is recorded');
select results_eq($$select id from public.claim_webhook_events('c1', 10, interval '1 minute')$$,
  $$values ('evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:delivered'))$$, 'then the next');
select ok(public.record_webhook_attempt('evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:delivered'), 'c1', 'https://bob.example/hook', null, 'connect ECONNREFUSED', 3, null),
  'a failure past the bound is recorded');
select results_eq($$select event_type from public.claim_webhook_events('c1', 10, interval '1 minute')$$,
  $$values ('session.status'::text)$$, 'then the last');
select results_eq($$select status, count(*)::int from public.webhook_events group by status order by status$$,
  $$values ('dead'::text, 1), ('delivered'::text, 1), ('delivering'::text, 2), ('pending'::text, 1)$$,
  'delivered, dead, still claimed (bob''s and carol''s), pending');

-- Users
set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);
select is_empty($$select 1 from public.webhook_events$$, 'alice sees none of bob''s events');
select is_empty($$select 1 from public.webhook_deliveries$$, 'nor his delivery log');
select throws_ok($$select public.redeliver_webhook_event('evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:delivered'))$$,
  'WL404', null, 'alice cannot redeliver bob''s event');
select throws_ok($$select public.claim_webhook_events('alice', 10, interval '1 minute')$$, '42501', null, 'users cannot claim events');
select throws_ok($$update public.webhook_events set status = 'pending'$$, '42501', null, 'users cannot change events directly');

select set_config('request.jwt.claims', :'bob', true);
select results_eq($$select attempt, status_code, error from public.webhook_deliveries order by id$$,
  $$values (1, 500, 'HTTP 500'::text), (1, 204, null), (1, null, 'connect ECONNREFUSED')$$, 'bob reads his delivery log');
select results_eq(
  $$select status, attempts from public.redeliver_webhook_event('evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:delivered'))$$,
  $$values ('pending'::text, 0)$$, 'bob redelivers his dead event: pending again, same id');
select throws_ok($$select public.redeliver_webhook_event('evt_' || md5('message.status:0b000000-0000-4000-8000-000000000001:delivered'))$$,
  'WL409', null, 'a pending event cannot be redelivered');

-- A receipt that overtook the 'sent' write: the statuses passed over are events too, each with its own status.
reset role;
update public.configuracion_mensajeria_usuario set config = '{"webhook": {"url": "https://bob.example/hook", "enabled": true}}'
 where user_id = '22222222-2222-4222-8222-222222222222';
insert into public.outbound_messages (id, session_id, user_id, recipient, text, status, claimed_by, claim_expires_at, attempts) values
  ('0b000000-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222',
   '+15557770001', 'overtaken', 'sending', 'c1', now() + interval '1 minute', 1);
select public.record_outbound_receipts(array['bbbbbbbb-0000-4000-8000-000000000001']::uuid[], array[
  (select wa_message_id from public.outbound_messages where id = '0b000000-0000-4000-8000-000000000002')],
  array['read']::public.outbound_status[]);
select results_eq(
  $$select data #>> '{message,status}' from public.webhook_events
     where event_type = 'message.status' and data #>> '{message,id}' = '0b000000-0000-4000-8000-000000000002' order by seq$$,
  $$values ('sent'::text), ('delivered'::text), ('read'::text)$$, 'sending straight to read: sent, delivered and read events, in that order');
update public.outbound_messages set status = 'read' where id = '0b000000-0000-4000-8000-000000000001';
select results_eq(
  $$select data #>> '{message,status}' from public.webhook_events
     where event_type = 'message.status' and data #>> '{message,id}' = '0b000000-0000-4000-8000-000000000001' order by seq$$,
  $$values ('sent'::text), ('delivered'::text), ('read'::text)$$, 'delivered to read: one read event, none again for sent or delivered');

select * from finish();
rollback;
