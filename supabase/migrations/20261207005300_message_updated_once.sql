-- message.updated webhooks (issue 15 item 2): an edit, a delete for everyone and a reaction (added, changed or
-- removed) on a message of the timeline (20261207001100), received or sent by the CRM (rep actions,
-- 20261207004300), each written by a trigger on the change in its transaction: record_inbound_edit,
-- record_inbound_deletion, record_message_reaction, apply_outbound_action. data.change says which: 'edited' |
-- 'deleted' | 'reaction'. Ids are stable per fact: the same edit (message + edited_at), the deletion of a
-- message, the same reaction (side + reacted_at).
--
-- One event per change (supabase/tests/database/42-webhook-one-event-per-change.test.sql):
-- * A reaction re-recorded with the same emoji is no change. The CRM's own reaction is recorded twice: by
--   apply_outbound_action at the action row's sent_at, and by the connector from Baileys' echo of our own send
--   (emitOwnEvents: messages.reaction, timed when Baileys built the message). When the echo came first, the
--   sent write moved reacted_at on and a second event with another id followed. The reaction trigger writes on
--   an insert, a changed emoji and a removal.
-- * Edits and deletions of both tables are one trigger body (message_edit_webhook); a row edited and deleted in
--   one write is one 'deleted' event.
--
-- These triggers were first written in 20261207004120 and 20261207004300 (functions inbound_/
-- outbound_message_updated_webhook, and the reaction one without the check); a database that applied those
-- versions ends in the same state as a fresh one (create or replace, drop if exists).

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
    if tg_op = 'UPDATE' and new.emoji = old.emoji then
      return null;
    end if;
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

create or replace trigger message_reactions_webhook
  after insert or update of emoji, reacted_at or delete on public.message_reactions
  for each row execute function public.message_reaction_webhook();

-- An edit or a delete for everyone of a message, received (inbound_messages) or sent by the CRM (outbound_messages).
create or replace function public.message_edit_webhook() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_key text := new.session_id || ':' || new.wa_message_id;
    v_data jsonb;
  begin
    -- plpgsql plans a statement when it first runs, per table: each table only ever runs its own branch
    if tg_table_name = 'inbound_messages' then
      v_data := public.webhook_inbound_message_data(new);
    else
      v_data := public.webhook_outbound_message_data(new);
    end if;
    if new.deleted_at is not null and old.deleted_at is null then
      perform public.enqueue_webhook_event(new.user_id, 'message.updated', v_key || ':deleted',
        v_data || jsonb_build_object('change', 'deleted'));
    elsif new.edited_at is distinct from old.edited_at and new.edited_at is not null then
      perform public.enqueue_webhook_event(new.user_id, 'message.updated', v_key || ':edited:' || new.edited_at,
        v_data || jsonb_build_object('change', 'edited', 'previous_text', old.text));
    end if;
    return null;
  end;
  $$;

create or replace trigger inbound_messages_updated_webhook
  after update of edited_at, deleted_at on public.inbound_messages
  for each row when (old.edited_at is distinct from new.edited_at or old.deleted_at is distinct from new.deleted_at)
  execute function public.message_edit_webhook();

create or replace trigger outbound_messages_updated_webhook
  after update of edited_at, deleted_at on public.outbound_messages
  for each row when (old.edited_at is distinct from new.edited_at or old.deleted_at is distinct from new.deleted_at)
  execute function public.message_edit_webhook();

-- a database that applied the earlier versions of 004120/004300 has these, no longer called
drop function if exists public.inbound_message_updated_webhook();
drop function if exists public.outbound_message_updated_webhook();

revoke execute on function public.message_edit_webhook(), public.message_reaction_webhook() from public, anon, authenticated;
