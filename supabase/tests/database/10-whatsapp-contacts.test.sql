-- whatsapp_contacts: LID-first identity (record_whatsapp_contact, record_outbound_contact) and RLS.
begin;
select plan(28);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@contacts.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@contacts.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connected', '+15550000002', now());

-- A LID-only contact (no sender_pn): a row with its push name and no phone.
create temp table ids (name text primary key, id uuid);
insert into ids select 'hidden', public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001',
  '900000000000001@lid', null, null, 'Hidden Lead', p_seen => true);
select is((select row(lid, phone_number, phone_source::text, push_name)::text from public.whatsapp_contacts
  where id = (select id from ids where name = 'hidden')),
  row('900000000000001@lid', null::text, null::text, 'Hidden Lead')::text,
  'a LID-only sighting writes a contact with the push name and no phone');
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, message_type, text, wa_timestamp, contact_id)
select 'aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'L' || g, '900000000000001@lid',
  '900000000000001@lid', 'text', 'lead ' || g, now(), (select id from ids where name = 'hidden')
from generate_series(1, 2) g;

select is(public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001', '900000000000001@lid', null, null, 'Hidden Lead'),
  (select id from ids where name = 'hidden'), 'the same LID again is the same contact');

-- The phone becomes known (a lid-mapping): the same row gains it and the earlier messages join.
select is(public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001', '900000000000001@lid', '+15557770001', 'lid_mapping'),
  (select id from ids where name = 'hidden'), 'a mapping for a known LID completes that contact');
select is((select row(phone_number, phone_source::text)::text from public.whatsapp_contacts where id = (select id from ids where name = 'hidden')),
  row('+15557770001', 'lid_mapping')::text, 'the phone and where it came from are recorded');
select is((select array_agg(distinct sender_phone) from public.inbound_messages where contact_id = (select id from ids where name = 'hidden')),
  array['+15557770001'], 'every earlier message of the contact now carries the sender phone');
select is((select push_name from public.whatsapp_contacts where id = (select id from ids where name = 'hidden')),
  'Hidden Lead', 'a sighting without a name keeps the known push name');

-- A send to a phone number, then a LID-only reply, then the LID behind the number: one contact.
insert into public.outbound_messages (id, session_id, user_id, recipient, text)
values ('cccccccc-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111',
  '+15557770002', 'hello');
insert into ids select 'sent', public.record_outbound_contact('cccccccc-0000-4000-8000-000000000001', '+15557770002', null);
select is((select contact_id from public.outbound_messages where id = 'cccccccc-0000-4000-8000-000000000001'),
  (select id from ids where name = 'sent'), 'the sent row points at its recipient''s contact');
insert into ids select 'reply', public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001',
  '900000000000002@lid', null, null, 'Replier', p_seen => true);
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, text, wa_timestamp, contact_id)
values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'R1', '900000000000002@lid', 'text',
  'got it', now(), (select id from ids where name = 'reply'));
select isnt((select id from ids where name = 'reply'), (select id from ids where name = 'sent'),
  'before the mapping, the LID-only reply is a contact of its own');
select is(public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001', '900000000000002@lid', '+15557770002', 'lid_mapping'),
  (select id from ids where name = 'sent'), 'the mapping merges the LID contact into the phone contact');
select is((select count(*)::int from public.whatsapp_contacts where id = (select id from ids where name = 'reply')), 0,
  'the LID-only row is gone');
select is((select contact_id from public.inbound_messages where wa_message_id = 'R1'), (select id from ids where name = 'sent'),
  'the reply now points at the contact the send went to');
select is((select row(lid, phone_number, push_name)::text from public.whatsapp_contacts where id = (select id from ids where name = 'sent')),
  row('900000000000002@lid', '+15557770002', 'Replier')::text, 'the merged contact has the LID, the phone and the name');
select is((select sender_phone from public.inbound_messages where wa_message_id = 'R1'), '+15557770002',
  'the reply carries the phone number a CRM joins on');

-- A send whose LID the connector learned at once lands on the LID contact that already exists.
insert into ids select 'known', public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001',
  '900000000000003@lid', null, null, 'Known');
insert into public.outbound_messages (id, session_id, user_id, recipient, text)
values ('cccccccc-0000-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111',
  '+15557770003', 'hello again');
select is(public.record_outbound_contact('cccccccc-0000-4000-8000-000000000002', '+15557770003', '900000000000003@lid'),
  (select id from ids where name = 'known'), 'a send with its LID joins the LID''s contact');

-- One number, one account: a number shown for another LID moves there.
select isnt(public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001', '900000000000009@lid', '+15557770003', 'message'),
  (select id from ids where name = 'known'), 'a number now used by another LID makes a new contact');
select is((select phone_number from public.whatsapp_contacts where id = (select id from ids where name = 'known')), null,
  'the old LID keeps its row and loses the number');

select throws_ok($$select public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001', null, null, null)$$,
  'WL422', null, 'a contact needs a LID or a phone');
select throws_ok($$select public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001', null, '5557770001', 'message')$$,
  'WL422', null, 'a contact phone is E.164');
select throws_ok($$select public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-0000000000ff', '1@lid', null, null)$$,
  'WL404', null, 'an unknown session is refused');

-- bob's own contact, for RLS.
select lives_ok($$select public.record_whatsapp_contact('bbbbbbbb-0000-4000-8000-000000000001', '900000000000001@lid', '+15557770001', 'message')$$,
  'another session may know the same person as its own contact');

-- A chat the history sync listed is an existing chat for the restrictions, with no message stored (import off).
select public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001', '900000000000077@lid', '+15557770077', 'history_sync', 'Old Client');
select ok(not public.session_has_chat_with('aaaaaaaa-0000-4000-8000-000000000001', '+15557770077'),
  'a contact with no message and no history chat is a new contact');
select is(public.record_history_chats('aaaaaaaa-0000-4000-8000-000000000001',
  '[{"lid": "900000000000077@lid", "phone": null, "at": "2026-06-01T10:00:00Z"}, {"lid": null, "phone": "+15557770077", "at": "2026-05-01T10:00:00Z"},
    {"lid": "900000000000078@lid", "phone": null, "at": null}]'), 1,
  'record_history_chats marks the contact a chat names (by LID or phone) and skips an unknown one');
select ok(public.session_has_chat_with('aaaaaaaa-0000-4000-8000-000000000001', '+15557770077'),
  'a chat the history sync listed is an existing chat, without any stored message');
select ok(not public.session_has_chat_with('bbbbbbbb-0000-4000-8000-000000000001', '+15557770077'),
  'and only in its own session');

set local role authenticated;
select set_config('request.jwt.claims', :'bob', true);
select results_eq($$select phone_number from public.whatsapp_contacts$$, $$values ('+15557770001'::text)$$,
  'bob sees his own contact and none of alice''s');
select throws_ok($$update public.whatsapp_contacts set push_name = 'x'$$, '42501', null, 'users cannot change contacts');
select throws_ok($$select public.record_whatsapp_contact('bbbbbbbb-0000-4000-8000-000000000001', '5@lid', null, null)$$,
  '42501', null, 'users cannot call the connector''s transition');

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select * from public.whatsapp_contacts$$, '42501', null, 'anon cannot read contacts');

select * from finish();
rollback;
