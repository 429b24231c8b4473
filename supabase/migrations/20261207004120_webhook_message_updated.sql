-- message.updated webhooks (issue 15 item 2): an edit, a delete for everyone and a reaction (added, changed
-- or removed) on a message of the timeline (migration 20261207001100), each written by a trigger on the
-- change the connector records (record_inbound_edit, record_inbound_deletion, record_message_reaction), in
-- its transaction. data.change says which: 'edited' | 'deleted' | 'reaction'. Ids are stable per fact: the
-- same edit (message + edited_at), the deletion of a message, the same reaction (side + reacted_at).
--
-- message.received carries the timeline's fields too (pending placeholder, imported from history, contact).

create or replace function public.webhook_inbound_message_data(m public.inbound_messages) returns jsonb
  language sql stable
  set search_path to ''
  as $$
    select jsonb_build_object(
      'session_id', m.session_id,
      'message', jsonb_build_object(
        'id', m.id, 'wa_message_id', m.wa_message_id, 'chat_jid', m.chat_jid, 'from_me', m.from_me,
        'type', m.message_type, 'text', m.text, 'timestamp', m.wa_timestamp, 'received_at', m.received_at,
        'pending', m.pending, 'pending_reason', m.pending_reason, 'imported', m.imported,
        'edited_at', m.edited_at, 'deleted_at', m.deleted_at),
      'contact', jsonb_build_object('id', m.contact_id, 'jid', m.sender_jid, 'phone', m.sender_phone, 'name', m.push_name))
  $$;

create or replace function public.inbound_message_updated_webhook() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_key text := new.session_id || ':' || new.wa_message_id;
  begin
    if new.deleted_at is not null and old.deleted_at is null then
      perform public.enqueue_webhook_event(new.user_id, 'message.updated', v_key || ':deleted',
        public.webhook_inbound_message_data(new) || jsonb_build_object('change', 'deleted'));
    elsif new.edited_at is distinct from old.edited_at and new.edited_at is not null then
      perform public.enqueue_webhook_event(new.user_id, 'message.updated', v_key || ':edited:' || new.edited_at,
        public.webhook_inbound_message_data(new)
          || jsonb_build_object('change', 'edited', 'previous_text', old.text));
    end if;
    return null;
  end;
  $$;

create trigger inbound_messages_updated_webhook
  after update of edited_at, deleted_at on public.inbound_messages
  for each row when (old.edited_at is distinct from new.edited_at or old.deleted_at is distinct from new.deleted_at)
  execute function public.inbound_message_updated_webhook();

-- A reaction names the message by its WhatsApp id; message.id is the row it reacts to (an inbound_messages id
-- when from_me is false or it was typed on the phone, an outbound_messages uuid when the CRM sent it), null
-- if that row is not stored (e.g. older than the history import).
create or replace function public.message_reaction_webhook() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    r public.message_reactions := case when tg_op = 'DELETE' then old else new end;
    v_removed boolean := tg_op = 'DELETE';
    v_message jsonb;
  begin
    select jsonb_build_object('id', i.id, 'from_me', i.from_me) into v_message from public.inbound_messages i
     where i.session_id = r.session_id and i.wa_message_id = r.wa_message_id;
    if v_message is null then
      select jsonb_build_object('id', o.id, 'from_me', true) into v_message from public.outbound_messages o
       where o.session_id = r.session_id and o.wa_message_id = r.wa_message_id;
    end if;
    perform public.enqueue_webhook_event(r.user_id, 'message.updated',
      r.session_id || ':' || r.wa_message_id || ':reaction:' || r.from_me || ':'
        || case when v_removed then 'removed:' || r.updated_at else r.reacted_at::text end,
      jsonb_build_object(
        'session_id', r.session_id,
        'change', 'reaction',
        'message', coalesce(v_message, jsonb_build_object('id', null, 'from_me', null))
                     || jsonb_build_object('wa_message_id', r.wa_message_id),
        'reaction', jsonb_build_object('emoji', case when v_removed then null else r.emoji end, 'removed', v_removed,
          'from_me', r.from_me, 'contact_id', r.contact_id, 'reacted_at', r.reacted_at)));
    return null;
  end;
  $$;

create trigger message_reactions_webhook
  after insert or update of emoji, reacted_at or delete on public.message_reactions
  for each row execute function public.message_reaction_webhook();

revoke execute on function public.inbound_message_updated_webhook(), public.message_reaction_webhook()
  from public, anon, authenticated;
