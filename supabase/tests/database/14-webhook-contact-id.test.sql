-- Webhook payloads name the contact (migration 20261207008010): message.status for a row addressed to a
-- number-hidden contact (recipient null, LID in recipient_jid) carries data.contact.id, like message.received.
begin;
select plan(3);

insert into auth.users (id, email) values ('11111111-1111-4111-8111-111111111111', 'alice@hook-contact.test');
insert into public.configuracion_mensajeria_usuario (user_id, config) values
  ('11111111-1111-4111-8111-111111111111', '{"webhook": {"url": "https://alice.example/hook", "enabled": true}}');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now());
insert into public.whatsapp_contacts (id, session_id, user_id, lid, phone_number, phone_source) values
  ('cccccccc-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', '100000000000001@lid', null, null);
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, sender_phone, from_me, message_type, text, wa_timestamp, contact_id)
values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'HIDDEN1', '100000000000001@lid', '100000000000001@lid', null,
        false, 'text', 'precio?', now(), 'cccccccc-0000-4000-8000-000000000001');
insert into public.outbound_messages (id, session_id, user_id, contact_id, text) values
  ('0b000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111',
   'cccccccc-0000-4000-8000-000000000001', 'a partir de 25 €');
update public.outbound_messages set status = 'sending', claimed_by = 'c1', claim_expires_at = now() + interval '1 minute'
 where id = '0b000000-0000-4000-8000-000000000001';
update public.outbound_messages set status = 'sent', sent_at = now(), claimed_by = null, claim_expires_at = null
 where id = '0b000000-0000-4000-8000-000000000001';

select results_eq(
  $$select data #>> '{message,recipient}', data #>> '{message,recipient_jid}', data #>> '{contact,id}'
      from public.webhook_events where event_type = 'message.status'$$,
  $$values (null::text, '100000000000001@lid'::text, 'cccccccc-0000-4000-8000-000000000001'::text)$$,
  'message.status for a row to a number-hidden contact names the contact');
select results_eq(
  $$select data #>> '{contact,id}' from public.webhook_events where event_type = 'message.received'$$,
  $$values ('cccccccc-0000-4000-8000-000000000001'::text)$$, 'message.received names it in the same place');
select ok((select bool_and(data ? 'contact') from public.webhook_events), 'every event has a contact object');

select * from finish();
rollback;
