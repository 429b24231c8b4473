-- message.updated events: an edit, a delete for everyone and reactions (added, changed, removed), written by
-- the timeline's transitions in their transaction, with stable ids; nothing when the user is not subscribed.
begin;
select plan(9);

insert into auth.users (id, email) values ('44444444-4444-4444-8444-444444444444', 'dana@rls.test');
insert into public.configuracion_mensajeria_usuario (user_id, config) values
  ('44444444-4444-4444-8444-444444444444', '{"webhook": {"url": "https://dana.example/hook", "enabled": true}}');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('dddddddd-0000-4000-8000-000000000001', '44444444-4444-4444-8444-444444444444', 'connected', '+15550000004', now());
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, text, wa_timestamp) values
  ('dddddddd-0000-4000-8000-000000000001', '44444444-4444-4444-8444-444444444444', 'D1', '15557770001@s.whatsapp.net', 'text', 'first', now());

select ok(public.record_inbound_edit('dddddddd-0000-4000-8000-000000000001', 'D1', false, 'second', '2026-12-07 09:00:00+00'), 'an edit');
select results_eq(
  $$select id = 'evt_' || md5('message.updated:dddddddd-0000-4000-8000-000000000001:D1:edited:' || '2026-12-07 09:00:00+00'::timestamptz),
           data ->> 'change', data #>> '{message,text}', data ->> 'previous_text'
      from public.webhook_events where event_type = 'message.updated'$$,
  $$values (true, 'edited'::text, 'second'::text, 'first'::text)$$, 'an edit is a message.updated event with the new and previous text');
select ok(not public.record_inbound_edit('dddddddd-0000-4000-8000-000000000001', 'D1', false, 'second', '2026-12-07 09:00:00+00'),
  'the same edit again changes nothing');

select ok(public.record_message_reaction('dddddddd-0000-4000-8000-000000000001', 'D1', true, null, '👍', '2026-12-07 09:01:00+00'), 'a reaction');
select ok(public.record_message_reaction('dddddddd-0000-4000-8000-000000000001', 'D1', true, null, '', '2026-12-07 09:02:00+00'), 'and its removal');
select results_eq(
  $$select data #>> '{reaction,emoji}', (data #>> '{reaction,removed}')::boolean, (data #>> '{reaction,from_me}')::boolean,
           data #>> '{message,wa_message_id}', (data #>> '{message,id}') is not null
      from public.webhook_events where data ->> 'change' = 'reaction' order by occurred_at, data #>> '{reaction,removed}'$$,
  $$values ('👍'::text, false, true, 'D1'::text, true), (null, true, true, 'D1'::text, true)$$,
  'a reaction and its removal are one event each, naming the message');

select ok(public.record_inbound_deletion('dddddddd-0000-4000-8000-000000000001', 'D1', false, now()), 'a delete for everyone');
select results_eq(
  $$select id, data #>> '{message,deleted_at}' is not null from public.webhook_events where data ->> 'change' = 'deleted'$$,
  $$values ('evt_' || md5('message.updated:dddddddd-0000-4000-8000-000000000001:D1:deleted'), true)$$,
  'a deletion is a message.updated event with a stable id');

update public.configuracion_mensajeria_usuario set config = '{"webhook": {"url": "https://dana.example/hook", "enabled": true, "events": ["message.received"]}}'
 where user_id = '44444444-4444-4444-8444-444444444444';
select public.record_message_reaction('dddddddd-0000-4000-8000-000000000001', 'D1', false, null, '❤️', now());
select results_eq($$select count(*)::int from public.webhook_events where event_type = 'message.updated'$$, $$values (4)$$,
  'no message.updated event for a user who did not subscribe to them');

select * from finish();
rollback;
