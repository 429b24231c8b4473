-- Outbound rows addressed by contact_id (migration 20261207004500): the contact's phone when known, else its LID in
-- recipient_jid; the trigger runs as the caller, so another user's contact, or one of another session, is not found;
-- recipient and contact_id together, or contact_id on an action row, are refused; every row keeps one address; a
-- reaction or read receipt for a number-hidden contact's message goes to the chat's LID.
begin;
select plan(11);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@lid.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@lid.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connected', '+15550000002', now());
insert into public.whatsapp_sessions (id, user_id, status) values
  ('aaaaaaaa-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'logged_out');
insert into public.whatsapp_contacts (id, session_id, user_id, lid, phone_number, phone_source) values
  ('cccccccc-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', '100000000000001@lid', null, null),
  ('cccccccc-0000-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', '100000000000002@lid', '+15557770002', 'message'),
  ('cccccccc-0000-4000-8000-000000000003', 'bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', '100000000000003@lid', null, null);
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, sender_phone, from_me, message_type, text, wa_timestamp, contact_id)
values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'HIDDEN1', '100000000000001@lid', '100000000000001@lid', null,
        false, 'text', 'precio?', now(), 'cccccccc-0000-4000-8000-000000000001');

set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);

select lives_ok($$insert into public.outbound_messages (session_id, contact_id, text) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000001', 'to the hidden one')$$,
  'alice queues a text for her number-hidden contact by contact_id');
select results_eq($$select recipient, recipient_jid, contact_id from public.outbound_messages where text = 'to the hidden one'$$,
  $$values (null::text, '100000000000001@lid'::text, 'cccccccc-0000-4000-8000-000000000001'::uuid)$$, 'it is addressed to the contact''s LID');
select lives_ok($$insert into public.outbound_messages (session_id, contact_id, text) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000002', 'to the known one')$$,
  'a contact with a known phone can be named too');
select results_eq($$select recipient, recipient_jid from public.outbound_messages where text = 'to the known one'$$,
  $$values ('+15557770002'::text, null::text)$$, 'it goes to the phone (the more reliable address)');
select throws_ok($$insert into public.outbound_messages (session_id, contact_id, text) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000003', 'hola')$$,
  'WL404', null, 'bob''s contact is not found for alice');
select throws_ok($$insert into public.outbound_messages (session_id, contact_id, text) values
  ('aaaaaaaa-0000-4000-8000-000000000002', 'cccccccc-0000-4000-8000-000000000001', 'hola')$$,
  'WL404', null, 'a contact of another of her sessions is not found');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, contact_id, text) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770002', 'cccccccc-0000-4000-8000-000000000002', 'hola')$$,
  'WL422', null, 'recipient and contact_id together are refused');
select throws_ok($$insert into public.outbound_messages (session_id, text) values ('aaaaaaaa-0000-4000-8000-000000000001', 'hola')$$,
  '23514', null, 'a row with neither a recipient nor a contact is refused');
select lives_ok($$insert into public.outbound_messages (session_id, content_type, target_wa_message_id, text) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'reaction', 'HIDDEN1', '👍')$$,
  'a reaction to the number-hidden contact''s message is queued (was recipient_unknown)');
select results_eq($$select recipient, recipient_jid from public.outbound_messages where content_type = 'reaction'$$,
  $$values (null::text, '100000000000001@lid'::text)$$, 'addressed to the chat''s LID');
select throws_ok($$insert into public.outbound_messages (session_id, content_type, target_wa_message_id, text, contact_id) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'reaction', 'HIDDEN1', '👍', 'cccccccc-0000-4000-8000-000000000001')$$,
  'WL422', null, 'an action is addressed by its target, not by contact_id');

select * from finish();
rollback;
