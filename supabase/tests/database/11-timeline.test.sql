-- The timeline: store_inbound_message (one row per id, placeholders resolved in place), edits, deletes,
-- reactions, and the conversations view under RLS.
begin;
select plan(25);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@timeline.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@timeline.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connected', '+15550000002', now());
create temp table c as select public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001',
  '900000000000001@lid', null, null, 'Lead', p_seen => true) as id;

create function pg_temp.msg(p_id text, p_extra jsonb default '{}') returns jsonb language sql as $$
  select jsonb_build_object('session_id', 'aaaaaaaa-0000-4000-8000-000000000001', 'user_id', '11111111-1111-4111-8111-111111111111',
    'wa_message_id', p_id, 'chat_jid', '900000000000001@lid', 'sender_jid', '900000000000001@lid', 'message_type', 'conversation',
    'text', 'text of ' || p_id, 'wa_timestamp', now() - interval '1 hour', 'contact_id', (select id from c), 'push_name', 'Lead') || p_extra
$$;

select is(public.store_inbound_message(pg_temp.msg('M1')), 'inserted', 'a new message is inserted');
select is(public.store_inbound_message(pg_temp.msg('M1', '{"chat_jid": "15557770001@s.whatsapp.net", "text": "other form"}')),
  'duplicate', 'the same id under its other JID form is a duplicate');
select is((select row(count(*), min(text))::text from public.inbound_messages where wa_message_id = 'M1'),
  row(1, 'text of M1')::text, 'stored once, unchanged');

-- An ad lead: the placeholder, then the phone's resend under the same id.
select is(public.store_inbound_message(pg_temp.msg('AD1', '{"message_type": "placeholder", "text": null, "pending": true,
  "pending_reason": "Message absent from node"}')), 'inserted', 'the placeholder is stored');
select is((select row(pending, pending_reason)::text from public.inbound_messages where wa_message_id = 'AD1'),
  row(true, 'Message absent from node')::text, 'it shows as pending, with the reason');
select is(public.store_inbound_message(pg_temp.msg('AD1', '{"message_type": "placeholder", "text": null, "pending": true,
  "pending_reason": "Message absent from node"}')), 'duplicate', 'a replayed placeholder changes nothing');
select is(public.store_inbound_message(pg_temp.msg('AD1', jsonb_build_object('text', 'I want the offer', 'wa_timestamp', now()))), 'resolved',
  'the resent content resolves it');
select is((select row(count(*), min(text), bool_or(pending), min(message_type), bool_and(resolved_at is not null))::text
  from public.inbound_messages where wa_message_id = 'AD1'),
  row(1, 'I want the offer', false, 'conversation', true)::text, 'replaced in place: one row, the content, no longer pending');
select is(public.store_inbound_message(pg_temp.msg('AD1', '{"text": "replayed"}')), 'duplicate',
  'a replay of the resolved message changes nothing');
select is(public.store_inbound_message(pg_temp.msg('AD2', '{"message_type": "placeholder", "text": null, "pending": true,
  "pending_reason": "Message absent from node", "wa_timestamp": "2026-01-01T00:00:00Z"}')), 'inserted', 'another placeholder, never resolved');

-- Edits and deletes by the author.
select ok(public.record_inbound_edit('aaaaaaaa-0000-4000-8000-000000000001', 'M1', false, 'edited text', now()), 'an edit applies');
select is((select row(text, previous_texts->0->>'text', edited_at is not null)::text from public.inbound_messages where wa_message_id = 'M1'),
  row('edited text', 'text of M1', true)::text, 'the row has the new text and keeps the previous one');
select ok(not public.record_inbound_edit('aaaaaaaa-0000-4000-8000-000000000001', 'M1', true, 'forged', now()),
  'the other side of the chat cannot edit it');
select ok(public.record_inbound_deletion('aaaaaaaa-0000-4000-8000-000000000001', 'M1', false, now()), 'delete for everyone marks the row');
select ok(not public.record_inbound_deletion('aaaaaaaa-0000-4000-8000-000000000001', 'M1', false, now()), 'once');

-- Reactions: one per side, replaced, removed by an empty emoji.
select ok(public.record_message_reaction('aaaaaaaa-0000-4000-8000-000000000001', 'AD1', false, (select id from c), '👍', now()), 'a reaction');
select ok(public.record_message_reaction('aaaaaaaa-0000-4000-8000-000000000001', 'AD1', false, (select id from c), '❤️', now()), 'replaced');
select is((select array_agg(emoji) from public.message_reactions where wa_message_id = 'AD1'), array['❤️'], 'one reaction per side');
select ok(public.record_message_reaction('aaaaaaaa-0000-4000-8000-000000000001', 'AD1', false, (select id from c), '', now()), 'removed');

-- The conversation as a CRM reads it.
select is((select row(phone_number, number_hidden, display_name, last_message_text, unread_count)::text
  from public.whatsapp_conversations where contact_id = (select id from c)),
  row(null::text, true, 'Lead', 'I want the offer', 2)::text,
  'one conversation: number hidden, the name, the last message, unread = the lead''s messages not deleted');

-- WhatsApp's timestamps have whole seconds: a question and the answer typed on the phone share one.
create temp table c2 as select public.record_whatsapp_contact('aaaaaaaa-0000-4000-8000-000000000001',
  '900000000000002@lid', '+15557770002', 'message', 'Same Second', p_seen => true) as id;
create function pg_temp.msg2(p_id text, p_extra jsonb default '{}') returns jsonb language sql as $$
  select pg_temp.msg(p_id, jsonb_build_object('chat_jid', '900000000000002@lid', 'sender_jid', '900000000000002@lid',
    'contact_id', (select id from c2), 'wa_timestamp', '2026-12-07T10:00:00Z', 'push_name', 'Same Second') || p_extra)
$$;
select public.store_inbound_message(pg_temp.msg2('Q1', '{"text": "price?"}'));
select public.store_inbound_message(pg_temp.msg2('A1', '{"text": "10 euros", "from_me": true}'));
select is((select row(last_message_text, last_message_from_me, unread_count)::text
  from public.whatsapp_conversations where contact_id = (select id from c2)),
  row('10 euros', true, 0)::text, 'same second: the answer stored after the question is the last message, nothing unread');
update public.inbound_messages set received_at = received_at - interval '1 second' where wa_message_id = 'A1';
select is((select row(last_message_text, unread_count)::text
  from public.whatsapp_conversations where contact_id = (select id from c2)),
  row('price?', 1)::text, 'same second: the one that reached us last is the last message (received_at before id)');
update public.inbound_messages set received_at = received_at + interval '1 second' where wa_message_id = 'A1';
select public.store_inbound_message(pg_temp.msg2('Q2', '{"text": "ok, and shipping?"}'));
select is((select row(last_message_text, unread_count)::text
  from public.whatsapp_conversations where contact_id = (select id from c2)),
  row('ok, and shipping?', 1)::text, 'the contact''s next message of that second is the last one and unread');

set local role authenticated;
select set_config('request.jwt.claims', :'bob', true);
select is((select count(*)::int from public.whatsapp_conversations) + (select count(*)::int from public.message_reactions), 0,
  'bob sees none of alice''s conversations or reactions');
reset role;
set local role anon;
select throws_ok($$select * from public.whatsapp_conversations$$, '42501', null, 'anon cannot read conversations');

select * from finish();
rollback;
