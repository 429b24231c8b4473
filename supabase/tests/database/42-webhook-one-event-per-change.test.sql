-- One message.updated event per change, whatever writes it and however often: each change below is run through
-- events_of(), which counts the message.updated events it added (distinct ids; a replay of the same id is
-- absorbed by the outbox). Two triggers, or one trigger firing twice for one fact, show up as 2.
begin;
select plan(20);

create function pg_temp.events_of(p_change text) returns int language plpgsql as $$
declare
  v_before int;
  v_after int;
begin
  select count(*) into v_before from public.webhook_events where event_type = 'message.updated';
  execute p_change;
  select count(*) into v_after from public.webhook_events where event_type = 'message.updated';
  return v_after - v_before;
end $$;

insert into auth.users (id, email) values ('45454545-4545-4545-8545-454545454545', 'ema@rls.test');
insert into public.configuracion_mensajeria_usuario (user_id, config) values
  ('45454545-4545-4545-8545-454545454545', '{"webhook": {"url": "https://ema.example/hook", "enabled": true}}');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('eeeeeeee-0000-4000-8000-000000000001', '45454545-4545-4545-8545-454545454545', 'connected', '+15550000005', now());
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, sender_phone, message_type, text, wa_timestamp) values
  ('eeeeeeee-0000-4000-8000-000000000001', '45454545-4545-4545-8545-454545454545', 'E1', '15557770005@s.whatsapp.net',
   '15557770005@s.whatsapp.net', '+15557770005', 'text', 'first', now()),
  ('eeeeeeee-0000-4000-8000-000000000001', '45454545-4545-4545-8545-454545454545', 'E2', '15557770005@s.whatsapp.net',
   '15557770005@s.whatsapp.net', '+15557770005', 'text', 'second question', now());
-- a message the CRM sent five minutes ago (within WhatsApp's edit window)
insert into public.outbound_messages (id, session_id, user_id, recipient, text, status, sent_at) values
  ('0e000000-0000-4000-8000-000000000001', 'eeeeeeee-0000-4000-8000-000000000001', '45454545-4545-4545-8545-454545454545',
   '+15557770005', 'Precio: 10 €', 'sent', now() - interval '5 minutes');

-- an action row of the CRM (reaction/edit/revoke on a target), claimed: the connector's 'sending'
create function pg_temp.queue_action(p_id uuid, p_type text, p_target text, p_text text) returns void language sql as $$
  insert into public.outbound_messages (id, session_id, user_id, recipient, content_type, target_wa_message_id, text,
    status, claimed_by, claim_expires_at, attempts)
  values (p_id, 'eeeeeeee-0000-4000-8000-000000000001', '45454545-4545-4545-8545-454545454545', '+15557770005', p_type,
    p_target, p_text, 'sending', 'c1', now() + interval '1 minute', 1);
$$;
create function pg_temp.mark(p_id uuid, p_status text, p_at timestamptz) returns void language sql as $$
  update public.outbound_messages
     set status = p_status::public.outbound_status, claimed_by = null, claim_expires_at = null,
         sent_at = coalesce(sent_at, p_at),
         delivered_at = case when p_status in ('delivered', 'read') then coalesce(delivered_at, p_at) end,
         read_at = case when p_status = 'read' then p_at end
   where id = p_id;
$$;
create function pg_temp.o1() returns text language sql as $$
  select wa_message_id from public.outbound_messages where id = '0e000000-0000-4000-8000-000000000001'
$$;

-- the contact edits and deletes their message
select is(pg_temp.events_of($$select public.record_inbound_edit('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, 'first (edited)', '2026-12-07 09:00:00+00')$$),
  1, 'an inbound edit: one event');
select is(pg_temp.events_of($$select public.record_inbound_edit('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, 'first (edited)', '2026-12-07 09:00:00+00')$$),
  0, 'the same edit recorded again: none');
select is(pg_temp.events_of($$update public.inbound_messages set text = 'resolved', pending = false where wa_message_id = 'E2'$$),
  0, 'an update that is neither an edit nor a deletion (a placeholder resolved, a contact merged): none');

-- the contact reacts, re-sends the same reaction, changes it, removes it
select is(pg_temp.events_of($$select public.record_message_reaction('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, null, '❤️', '2026-12-07 09:01:00+00')$$),
  1, 'a reaction of the contact: one event');
select is(pg_temp.events_of($$select public.record_message_reaction('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, null, '❤️', '2026-12-07 09:01:00+00')$$),
  0, 'the same reaction stanza delivered again: none');
select is(pg_temp.events_of($$select public.record_message_reaction('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, null, '❤️', '2026-12-07 09:01:30+00')$$),
  0, 'the same emoji recorded again at a later time (nothing changed for the reader): none');
select is(pg_temp.events_of($$select public.record_message_reaction('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, null, '😂', '2026-12-07 09:02:00+00')$$),
  1, 'the reaction changed: one event');
select is(pg_temp.events_of($$select public.record_message_reaction('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, null, '', '2026-12-07 09:03:00+00')$$),
  1, 'the reaction removed: one event');

-- the CRM reacts. Baileys echoes our own reaction (emitOwnEvents) with the time it built it, and the connector
-- records that echo; the action row's 'sent' write records the same reaction at sent_at. Either order: one event.
select pg_temp.queue_action('0e000000-0000-4000-8000-0000000000a1', 'reaction', 'E1', '👍');
select is(pg_temp.events_of($$
  select public.record_message_reaction('eeeeeeee-0000-4000-8000-000000000001', 'E1', true, null, '👍', now() - interval '200 milliseconds');
  select pg_temp.mark('0e000000-0000-4000-8000-0000000000a1', 'sent', now())$$),
  1, 'a CRM reaction whose echo is recorded before its sent write: one event');
select pg_temp.queue_action('0e000000-0000-4000-8000-0000000000a2', 'reaction', 'E2', '👍');
select is(pg_temp.events_of($$
  select pg_temp.mark('0e000000-0000-4000-8000-0000000000a2', 'sent', now());
  select public.record_message_reaction('eeeeeeee-0000-4000-8000-000000000001', 'E2', true, null, '👍', now() - interval '200 milliseconds')$$),
  1, 'a CRM reaction whose echo is recorded after its sent write: one event');
select is(pg_temp.events_of($$select pg_temp.mark('0e000000-0000-4000-8000-0000000000a2', 'delivered', now());
  select pg_temp.mark('0e000000-0000-4000-8000-0000000000a2', 'read', now())$$),
  0, 'the reaction row''s receipts (delivered, read): no message.updated');
select pg_temp.queue_action('0e000000-0000-4000-8000-0000000000a3', 'reaction', 'E2', '');
select is(pg_temp.events_of($$select pg_temp.mark('0e000000-0000-4000-8000-0000000000a3', 'sent', now() + interval '1 second')$$),
  1, 'the CRM removes its reaction: one event');

-- the CRM edits its message (the receipt overtakes the sent write), then deletes it for everyone
select pg_temp.queue_action('0e000000-0000-4000-8000-0000000000e1', 'edit', pg_temp.o1(), 'Precio: 12 €');
select is(pg_temp.events_of($$select pg_temp.mark('0e000000-0000-4000-8000-0000000000e1', 'delivered', now())$$),
  1, 'a CRM edit that goes straight to delivered: one event');
select is(pg_temp.events_of($$select pg_temp.mark('0e000000-0000-4000-8000-0000000000e1', 'read', now())$$),
  0, 'the edit row read: none');
select is((select count(*)::int from public.webhook_events where event_type = 'message.updated' and data ->> 'change' = 'edited'
            and data #>> '{message,wa_message_id}' = pg_temp.o1()), 1, 'the CRM edit is one edited event of the target');
select pg_temp.queue_action('0e000000-0000-4000-8000-0000000000d1', 'revoke', pg_temp.o1(), null);
select is(pg_temp.events_of($$select pg_temp.mark('0e000000-0000-4000-8000-0000000000d1', 'sent', now() + interval '2 seconds')$$),
  1, 'a CRM delete for everyone: one event');
select is(pg_temp.events_of($$select pg_temp.mark('0e000000-0000-4000-8000-0000000000d1', 'delivered', now())$$),
  0, 'the revoke row delivered: none');

-- the contact deletes an edited message; an edit and a deletion in one write
select is(pg_temp.events_of($$select public.record_inbound_deletion('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, now())$$),
  1, 'an inbound delete for everyone: one event');
select is(pg_temp.events_of($$select public.record_inbound_deletion('eeeeeeee-0000-4000-8000-000000000001', 'E1', false, now())$$),
  0, 'the same deletion again: none');
select is(pg_temp.events_of($$update public.inbound_messages set text = 'x', edited_at = '2026-12-07 09:10:00+00', deleted_at = now()
  where wa_message_id = 'E2'$$),
  1, 'an edit and a deletion written in one update: one event (the deletion)');

select * from finish();
rollback;
