-- Mark read (issue 15 item 3) and two fixes to the rep actions of 20261207004300.
--
-- Mark read: an outbound_messages row with content_type 'read' and target_wa_message_id = the newest of the
-- contact's messages the rep has read. The connector claims it like any action and sends WhatsApp's read
-- receipt for the chat's unread messages up to that one (Baileys readMessages: <receipt type="read"> with
-- the ids, the blue ticks on the contact's phone); once sent, those inbound rows get read_at (same
-- transaction as the status change) and whatsapp_conversations.unread_count stops counting them.
-- mark_conversation_read(contact_id) queues that row for the newest unread message of a contact (as the caller:
-- RLS decides what it sees; another user's contact is "not found").
-- Refusals (insert trigger, SQLSTATE + hint as for the other actions):
--   WL404 target_not_found  no message with that id in this session
--   WL409 not_received      the target is a message we sent (only received messages are read)
--   WL409 recipient_unknown the contact's number is hidden (LID only): the receipt cannot be addressed yet
--
-- Fixes:
--   * a reply quoting a message the session does not have was sent without the quote; now refused:
--     WL404 quoted_not_found.
--   * delete for everyone: WhatsApp's window is 2 days and 12 hours (60 h) since August 2022, not "about
--     2 days" (reported at the rollout, e.g. isaacafrica.com "WhatsApp extends limit to 'un-send' messages",
--     and still in 2026 guides, getkanal.com "delete a WhatsApp message for everyone": "2 days 12 hours after
--     sending"); the edit window is 15 minutes (Meta's announcement of 2023-05-22, reported by Reuters/AP:
--     "edit their messages up to 15 minutes after sending them"). Neither is in whatsmeow or Baileys (they
--     send what they are asked; the phones enforce the window), so these are the app's rules, checked here.

alter table public.inbound_messages add column read_at timestamptz;
comment on column public.inbound_messages.read_at is
  'when our read receipt for it reached WhatsApp (a ''read'' outbound row marked the chat read up to it)';

alter table public.outbound_messages
  drop constraint outbound_messages_content_type_check,
  drop constraint outbound_messages_text_check,
  drop constraint outbound_messages_target_check,
  drop constraint outbound_messages_action_quote_check,
  add constraint outbound_messages_content_type_check
    check (content_type in ('text', 'reaction', 'edit', 'revoke', 'read')
           or content_type = any (enum_range(null::public.media_kind)::text[])),
  add constraint outbound_messages_text_check check (
    case content_type
      when 'text' then text is not null and text ~ '[^[:space:]]' and char_length(text) <= 4096
      when 'edit' then text is not null and text ~ '[^[:space:]]' and char_length(text) <= 4096
      -- one emoji (a sequence of code points, e.g. a flag or a family), or '' to remove our reaction
      when 'reaction' then text is not null and char_length(text) <= 16 and text !~ '[[:space:][:alnum:]]'
      when 'revoke' then text is null
      when 'read' then text is null
      else text is null or char_length(text) <= 1024 end),
  add constraint outbound_messages_target_check
    check ((content_type in ('reaction', 'edit', 'revoke', 'read')) = (target_wa_message_id is not null)
           and char_length(target_wa_message_id) between 1 and 128),
  add constraint outbound_messages_action_quote_check
    check (quoted_wa_message_id is null or content_type not in ('reaction', 'edit', 'revoke', 'read'));

-- check_outbound_action (the insert refusals above) is defined in 20261207004500, with its trigger.

-- The chat's received messages a 'read' row covers: not ours, not yet read, up to its target (the timeline's
-- order, as in whatsapp_conversations: WhatsApp's second, then when we stored it).
create or replace function public.unread_messages_up_to(p_session_id uuid, p_wa_message_id text)
  returns setof public.inbound_messages
  language sql stable
  set search_path to ''
  as $$
    select i.* from public.inbound_messages t
      join public.inbound_messages i on i.session_id = t.session_id and i.chat_jid = t.chat_jid
     where t.session_id = p_session_id and t.wa_message_id = p_wa_message_id
       and not i.from_me and i.read_at is null
       and (date_trunc('second', i.wa_timestamp), i.received_at, i.id) <= (date_trunc('second', t.wa_timestamp), t.received_at, t.id)
  $$;

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
    elsif new.content_type = 'read' then
      update public.inbound_messages i set read_at = new.sent_at
       where i.id in (select u.id from public.unread_messages_up_to(new.session_id, new.target_wa_message_id) u);
    end if;
    return null;
  end;
  $$;

create trigger outbound_messages_apply_action
  after update of status on public.outbound_messages
  for each row when (old.status in ('queued', 'sending') and new.status in ('sent', 'delivered', 'read')
                     and new.content_type in ('reaction', 'edit', 'revoke', 'read'))
  execute function public.apply_outbound_action();

-- The CRM marks a conversation read: queues the 'read' row for the contact's newest unread message, as the
-- caller (RLS: only their own contacts and messages). Returns the row's id, or null when nothing is unread.
create or replace function public.mark_conversation_read(p_contact_id uuid) returns uuid
  language plpgsql
  security invoker
  set search_path to ''
  as $$
  declare
    v_contact public.whatsapp_contacts;
    v_target public.inbound_messages;
    v_id uuid;
  begin
    select * into v_contact from public.whatsapp_contacts c where c.id = p_contact_id;
    if v_contact.id is null then
      raise exception 'no contact %', p_contact_id using errcode = 'WL404', hint = 'contact_not_found';
    end if;
    select * into v_target from public.inbound_messages i
     where i.contact_id = v_contact.id and not i.from_me and i.read_at is null
     order by date_trunc('second', i.wa_timestamp) desc, i.received_at desc, i.id desc limit 1;
    if v_target.id is null then
      return null;
    end if;
    insert into public.outbound_messages (session_id, user_id, recipient, content_type, target_wa_message_id)
    values (v_target.session_id, v_target.user_id, v_target.sender_phone, 'read', v_target.wa_message_id)
    returning id into v_id;
    return v_id;
  end;
  $$;

comment on function public.mark_conversation_read(uuid) is
  'Queues a read receipt for the contact''s unread messages (an outbound ''read'' row); null when none is unread.';

-- unread_count: the contact's messages after our last one that we have not marked read.
create or replace view public.whatsapp_conversations with (security_invoker = true) as
  select c.id as contact_id, c.session_id, c.user_id, c.lid, c.phone_number,
         c.phone_number is null as number_hidden,
         coalesce(c.saved_name, c.push_name) as display_name,
         last.text as last_message_text, last.message_type as last_message_type, last.from_me as last_message_from_me,
         last.pending as last_message_pending, last.at as last_message_at,
         (select count(*)::int from public.inbound_messages i
           where i.contact_id = c.id and not i.from_me and i.deleted_at is null and i.read_at is null
             and (ours.second is null or (date_trunc('second', i.wa_timestamp), i.received_at, i.id) > (ours.second, ours.stored, ours.ord)))
           as unread_count,
         greatest(last.at, c.last_seen_at) as last_activity_at
    from public.whatsapp_contacts c
    cross join lateral (
      select t.text, t.message_type, t.from_me, t.pending, t.at from (
        select i.text, i.message_type, i.from_me, i.pending, i.wa_timestamp as at, i.received_at as stored, i.id as ord
          from public.inbound_messages i where i.contact_id = c.id
        union all
        select o.text, o.content_type, true, false, coalesce(o.sent_at, o.created_at), coalesce(o.sent_at, o.created_at), null
          from public.outbound_messages o where o.contact_id = c.id
      ) t order by date_trunc('second', t.at) desc, t.stored desc, t.ord desc nulls last limit 1) last
    left join lateral (
      select t.second, t.stored, t.ord from (
        select date_trunc('second', i.wa_timestamp) as second, i.received_at as stored, i.id as ord
          from public.inbound_messages i where i.contact_id = c.id and i.from_me
        union all
        select date_trunc('second', coalesce(o.sent_at, o.created_at)), coalesce(o.sent_at, o.created_at), null
          from public.outbound_messages o where o.contact_id = c.id
      ) t order by t.second desc, t.stored desc, t.ord desc nulls last limit 1) ours on true;

comment on view public.whatsapp_conversations is
  'One row per contact with messages: phone (null = number hidden), name, last message, unread_count (the contact''s messages after our last one, not marked read), last activity.';

revoke execute on function public.apply_outbound_action() from public, anon, authenticated;
revoke execute on function public.unread_messages_up_to(uuid, text) from public, anon, authenticated;
revoke execute on function public.mark_conversation_read(uuid) from public, anon;
grant execute on function public.mark_conversation_read(uuid) to authenticated;
