-- Rep actions (issue 15 item 3): react to a message, edit and delete for everyone a message the CRM sent. Each
-- is an outbound_messages row (content_type 'reaction' | 'edit' | 'revoke', target_wa_message_id = the message
-- it acts on) that the connector claims, sends and retries exactly like a message (same claim, ack, receipts
-- and message.status events); connector/outbound/content.ts maps it to Baileys content (react / edit / delete).
-- The insert trigger refuses what WhatsApp would refuse, before anything is queued, and derives the recipient
-- from the target (the CRM need not, and cannot, name another chat):
--   WL404 target_not_found  no message with that id in this session
--   WL403 not_your_message  an edit or delete of a message the CRM did not send
--   WL409 target_not_sent   the target has not reached WhatsApp yet (nothing to edit or delete)
--   WL409 edit_window_passed / delete_window_passed  WhatsApp's windows: an edit within 15 minutes of the send,
--         a delete for everyone within about 2 days (WhatsApp Help Center: "edit within 15 minutes"; "delete for
--         everyone ... about 2 days")
--   WL409 recipient_unknown  a reaction to a contact whose phone number is hidden (LID only)
-- When the action reaches WhatsApp (status sent) its effect is recorded on the timeline in that transaction:
-- our reaction in message_reactions (from_me; its trigger writes message.updated), an edit in the target's
-- text/previous_texts/edited_at, a delete in its deleted_at; both write message.updated for the target.

alter table public.outbound_messages
  add column target_wa_message_id text,
  add column edited_at timestamptz,
  add column previous_texts jsonb not null default '[]'::jsonb,
  add column deleted_at timestamptz,
  drop constraint outbound_messages_content_type_check,
  drop constraint outbound_messages_text_check,
  drop constraint outbound_messages_media_path_check,
  add constraint outbound_messages_content_type_check
    check (content_type in ('text', 'reaction', 'edit', 'revoke')
           or content_type = any (enum_range(null::public.media_kind)::text[])),
  add constraint outbound_messages_text_check check (
    case content_type
      when 'text' then text is not null and text ~ '[^[:space:]]' and char_length(text) <= 4096
      when 'edit' then text is not null and text ~ '[^[:space:]]' and char_length(text) <= 4096
      -- one emoji (a sequence of code points, e.g. a flag or a family), or '' to remove our reaction
      when 'reaction' then text is not null and char_length(text) <= 16 and text !~ '[[:space:][:alnum:]]'
      when 'revoke' then text is null
      else text is null or char_length(text) <= 1024 end),
  add constraint outbound_messages_media_path_check
    check ((content_type = any (enum_range(null::public.media_kind)::text[])) = (media_path is not null)),
  add constraint outbound_messages_target_check
    check ((content_type in ('reaction', 'edit', 'revoke')) = (target_wa_message_id is not null)
           and char_length(target_wa_message_id) between 1 and 128),
  add constraint outbound_messages_action_quote_check
    check (quoted_wa_message_id is null or content_type not in ('reaction', 'edit', 'revoke')),
  add constraint outbound_messages_previous_texts_check check (jsonb_typeof(previous_texts) = 'array');

comment on column public.outbound_messages.target_wa_message_id is
  'reaction/edit/revoke rows: the WhatsApp id of the message acted on (inbound or one the CRM sent)';

create or replace function public.check_outbound_action() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_out public.outbound_messages;
    v_in public.inbound_messages;
  begin
    if new.content_type not in ('reaction', 'edit', 'revoke') then
      return new;
    end if;
    select * into v_out from public.outbound_messages o
     where o.session_id = new.session_id and o.wa_message_id = new.target_wa_message_id
       and o.content_type not in ('reaction', 'edit', 'revoke');
    if v_out.id is null then
      select * into v_in from public.inbound_messages i
       where i.session_id = new.session_id and i.wa_message_id = new.target_wa_message_id
       order by i.id limit 1;
      if v_in.id is null then
        raise exception 'no message % in this session', new.target_wa_message_id
          using errcode = 'WL404', hint = 'target_not_found';
      end if;
      if new.content_type <> 'reaction' then
        raise exception 'only messages the CRM sent can be edited or deleted for everyone'
          using errcode = 'WL403', hint = 'not_your_message';
      end if;
      if v_in.sender_phone is null then
        raise exception 'the contact''s number is hidden: a reaction cannot be addressed to it'
          using errcode = 'WL409', hint = 'recipient_unknown';
      end if;
      new.recipient := v_in.sender_phone;
      new.recipient_jid := null;
      return new;
    end if;
    if new.content_type <> 'reaction' then
      if v_out.sent_at is null or v_out.status not in ('sent', 'delivered', 'read') then
        raise exception 'the message has not reached WhatsApp yet (it is %)', v_out.status
          using errcode = 'WL409', hint = 'target_not_sent';
      end if;
      if v_out.deleted_at is not null then
        raise exception 'the message was deleted for everyone' using errcode = 'WL409', hint = 'target_deleted';
      end if;
      if new.content_type = 'edit' and v_out.content_type <> 'text' then
        raise exception 'only text messages can be edited' using errcode = 'WL409', hint = 'not_editable';
      end if;
      if new.content_type = 'edit' and v_out.sent_at < now() - interval '15 minutes' then
        raise exception 'WhatsApp allows an edit within 15 minutes of sending' using errcode = 'WL409', hint = 'edit_window_passed';
      end if;
      if new.content_type = 'revoke' and v_out.sent_at < now() - interval '2 days' then
        raise exception 'WhatsApp allows a delete for everyone within about 2 days of sending'
          using errcode = 'WL409', hint = 'delete_window_passed';
      end if;
    end if;
    new.recipient := v_out.recipient;
    new.recipient_jid := v_out.recipient_jid;
    return new;
  end;
  $$;

create trigger outbound_messages_check_action
  before insert on public.outbound_messages
  for each row execute function public.check_outbound_action();

-- The action reached WhatsApp: record its effect on the timeline (same transaction as the status change).
create or replace function public.apply_outbound_action() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_contact uuid;
  begin
    if new.content_type = 'reaction' then
      select i.contact_id into v_contact from public.inbound_messages i
       where i.session_id = new.session_id and i.wa_message_id = new.target_wa_message_id limit 1;
      perform public.record_message_reaction(new.session_id, new.target_wa_message_id, true,
        coalesce(v_contact, new.contact_id), new.text, new.sent_at);
    elsif new.content_type = 'edit' then
      update public.outbound_messages o
         set previous_texts = o.previous_texts || jsonb_build_array(jsonb_build_object('text', o.text, 'replaced_at', new.sent_at)),
             text = new.text, edited_at = new.sent_at
       where o.session_id = new.session_id and o.wa_message_id = new.target_wa_message_id
         and (o.edited_at is null or o.edited_at < new.sent_at);
    elsif new.content_type = 'revoke' then
      update public.outbound_messages o set deleted_at = new.sent_at
       where o.session_id = new.session_id and o.wa_message_id = new.target_wa_message_id and o.deleted_at is null;
    end if;
    return null;
  end;
  $$;

create trigger outbound_messages_apply_action
  after update of status on public.outbound_messages
  for each row when (old.status in ('queued', 'sending') and new.status in ('sent', 'delivered', 'read')
                     and new.content_type in ('reaction', 'edit', 'revoke'))
  execute function public.apply_outbound_action();

-- message.updated for a message the CRM sent, edited or deleted by a rep: the trigger of 20261207005300.

-- The outbound message as webhooks carry it (message.status, message.updated): a message, an action row, an edit
-- or a deletion.
create or replace function public.webhook_outbound_message_data(m public.outbound_messages) returns jsonb
  language sql stable
  set search_path to ''
  as $$
    select jsonb_build_object(
      'session_id', m.session_id,
      'message', jsonb_build_object(
        'id', m.id, 'wa_message_id', m.wa_message_id, 'idempotency_key', m.idempotency_key,
        'recipient', m.recipient, 'recipient_jid', m.recipient_jid, 'status', m.status,
        'content_type', m.content_type, 'text', m.text, 'target_wa_message_id', m.target_wa_message_id,
        'edited_at', m.edited_at, 'deleted_at', m.deleted_at,
        'error_code', m.error_code, 'error', m.error,
        'sent_at', m.sent_at, 'delivered_at', m.delivered_at, 'read_at', m.read_at, 'failed_at', m.failed_at))
  $$;

revoke execute on function public.check_outbound_action(), public.apply_outbound_action() from public, anon, authenticated;
revoke execute on function public.webhook_outbound_message_data(public.outbound_messages) from public, anon, authenticated;

grant insert (target_wa_message_id) on table public.outbound_messages to authenticated;
