-- The timeline of a conversation (issue 13 items 2-4): one row per WhatsApp message id per session whatever
-- JID form it arrives under; placeholders of messages WhatsApp could not deliver (ad leads: "Message absent
-- from node") stored as pending and replaced in place by the content the phone resends with the same id;
-- inbound edits keep the previous text; "deleted for everyone" marks the row; reactions; history imported on
-- link flagged as such; and per contact a conversation (last message, unread count, last activity).

alter table public.inbound_messages
  add column pending boolean not null default false,
  add column pending_reason text,
  add column resolved_at timestamptz,
  add column edited_at timestamptz,
  add column previous_texts jsonb not null default '[]'::jsonb,
  add column deleted_at timestamptz,
  add column imported boolean not null default false,
  add constraint inbound_messages_pending_check check (pending = (pending_reason is not null)),
  add constraint inbound_messages_pending_reason_check check (char_length(pending_reason) between 1 and 256),
  add constraint inbound_messages_previous_texts_check
    check (jsonb_typeof(previous_texts) = 'array' and pg_column_size(previous_texts) <= 262144);

comment on column public.inbound_messages.pending is
  'true: WhatsApp delivered a placeholder (pending_reason says why); the content replaces it in place when the phone resends it.';
comment on column public.inbound_messages.previous_texts is
  'Texts this message had before its edits, oldest first: [{"text": ..., "replaced_at": ...}].';
comment on column public.inbound_messages.deleted_at is
  'When the sender deleted the message for everyone (the row and its text stay for the CRM; apps show it as deleted).';
comment on column public.inbound_messages.imported is
  'true: imported from the recent history WhatsApp sent when the number was linked (automations skip these).';

create index inbound_messages_pending_idx on public.inbound_messages (session_id) where pending;

-- Stores a message as it arrived; returns 'inserted', 'resolved' (a pending placeholder got its content, in
-- place) or 'duplicate' (a replay, or the same id under its other JID form: nothing changes). p_message holds
-- inbound_messages columns by name (absent = null/default). A media message is queued for download at once.
create or replace function public.store_inbound_message(p_message jsonb)
  returns text
  language plpgsql
  set search_path to ''
  as $$
  declare
    r public.inbound_messages;
    v_result text;
  begin
    r := jsonb_populate_record(null::public.inbound_messages, p_message);
    insert into public.inbound_messages as m (session_id, user_id, wa_message_id, chat_jid, sender_jid, sender_phone,
      push_name, from_me, message_type, text, raw, wa_timestamp, media_kind, media_state, media_mime_type,
      media_size_bytes, media_duration_seconds, media_width, media_height, media_file_name, media_source,
      media_next_attempt_at, media_error, contact_id, pending, pending_reason, imported)
    values (r.session_id, r.user_id, r.wa_message_id, r.chat_jid, r.sender_jid, r.sender_phone,
      r.push_name, coalesce(r.from_me, false), r.message_type, r.text, coalesce(r.raw, '{}'::jsonb), r.wa_timestamp,
      r.media_kind, r.media_state, r.media_mime_type, r.media_size_bytes, r.media_duration_seconds, r.media_width,
      r.media_height, r.media_file_name, r.media_source, case when r.media_state = 'pending' then now() end,
      r.media_error, r.contact_id, coalesce(r.pending, false), r.pending_reason, coalesce(r.imported, false))
    on conflict (session_id, wa_message_id) do update
      set message_type = excluded.message_type, text = excluded.text, raw = excluded.raw,
          wa_timestamp = excluded.wa_timestamp, push_name = coalesce(excluded.push_name, m.push_name),
          contact_id = coalesce(m.contact_id, excluded.contact_id), sender_phone = coalesce(m.sender_phone, excluded.sender_phone),
          media_kind = excluded.media_kind, media_state = excluded.media_state, media_mime_type = excluded.media_mime_type,
          media_size_bytes = excluded.media_size_bytes, media_duration_seconds = excluded.media_duration_seconds,
          media_width = excluded.media_width, media_height = excluded.media_height, media_file_name = excluded.media_file_name,
          media_source = excluded.media_source, media_next_attempt_at = excluded.media_next_attempt_at,
          media_error = excluded.media_error, pending = false, pending_reason = null, resolved_at = now()
      where m.pending and not excluded.pending
    returning case when m.resolved_at is null then 'inserted' else 'resolved' end
      into v_result;
    return coalesce(v_result, 'duplicate');
  end;
  $$;

-- An edit of a message of this chat by its author (the contact, or the owner on the phone): the text is
-- replaced and the previous one kept. An edit older than the last one applied changes nothing.
create or replace function public.record_inbound_edit(
  p_session_id uuid, p_wa_message_id text, p_from_me boolean, p_text text, p_edited_at timestamptz)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with edited as (
      update public.inbound_messages m
         set previous_texts = m.previous_texts
               || jsonb_build_array(jsonb_build_object('text', m.text, 'replaced_at', p_edited_at)),
             text = p_text, edited_at = p_edited_at
       where m.session_id = p_session_id and m.wa_message_id = p_wa_message_id and m.from_me = p_from_me
         and m.deleted_at is null and (m.edited_at is null or m.edited_at < p_edited_at)
       returning 1)
    select exists (select 1 from edited);
  $$;

-- "Deleted for everyone" by its author: the row is marked, once.
create or replace function public.record_inbound_deletion(
  p_session_id uuid, p_wa_message_id text, p_from_me boolean, p_deleted_at timestamptz)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with deleted as (
      update public.inbound_messages m set deleted_at = p_deleted_at
       where m.session_id = p_session_id and m.wa_message_id = p_wa_message_id and m.from_me = p_from_me
         and m.deleted_at is null
       returning 1)
    select exists (select 1 from deleted);
  $$;

-- Reactions ----------------------------------------------------------------------------------------------
-- One per message per side of the 1:1 chat (the contact, or the owner: from_me), on a message we received
-- or one we sent (wa_message_id of either table). An empty emoji removes it (WhatsApp's "unreact").
create table public.message_reactions (
  id bigint generated always as identity primary key,
  session_id uuid not null,
  user_id uuid not null,
  wa_message_id text not null,
  from_me boolean not null,
  contact_id uuid,
  emoji text not null,
  reacted_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint message_reactions_session_fkey foreign key (session_id, user_id)
    references public.whatsapp_sessions (id, user_id) on delete cascade,
  constraint message_reactions_contact_fkey foreign key (contact_id, session_id)
    references public.whatsapp_contacts (id, session_id) on delete set null (contact_id),
  constraint message_reactions_one_per_side unique (session_id, wa_message_id, from_me),
  constraint message_reactions_wa_message_id_check check (char_length(wa_message_id) between 1 and 128),
  constraint message_reactions_emoji_check check (char_length(emoji) between 1 and 32)
);
comment on table public.message_reactions is
  'Reactions in 1:1 chats: per message, the contact''s (from_me false) and the owner''s (from_me true).';
create index message_reactions_contact_idx on public.message_reactions (contact_id) where contact_id is not null;
create trigger message_reactions_set_updated_at
  before update on public.message_reactions
  for each row execute function public.set_updated_at();

create or replace function public.record_message_reaction(
  p_session_id uuid, p_wa_message_id text, p_from_me boolean, p_contact_id uuid, p_emoji text, p_reacted_at timestamptz)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_user uuid;
    v_changed int;
  begin
    select s.user_id into v_user from public.whatsapp_sessions s where s.id = p_session_id;
    if not found then
      raise exception 'session % not found', p_session_id using errcode = 'WL404';
    end if;
    if coalesce(p_emoji, '') = '' then
      delete from public.message_reactions r
       where r.session_id = p_session_id and r.wa_message_id = p_wa_message_id and r.from_me = p_from_me
         and r.reacted_at <= p_reacted_at;
    else
      insert into public.message_reactions as r (session_id, user_id, wa_message_id, from_me, contact_id, emoji, reacted_at)
      values (p_session_id, v_user, p_wa_message_id, p_from_me, p_contact_id, p_emoji, p_reacted_at)
      on conflict (session_id, wa_message_id, from_me) do update
        set emoji = excluded.emoji, reacted_at = excluded.reacted_at, contact_id = coalesce(excluded.contact_id, r.contact_id)
        where r.reacted_at <= excluded.reacted_at;
    end if;
    get diagnostics v_changed = row_count;
    return v_changed > 0;
  end;
  $$;

-- Conversations ----------------------------------------------------------------------------------------
-- Per contact: who (phone when known, else the name and number_hidden; never the LID as a phone), the last
-- message either way (received, typed on the phone, or sent by the CRM), how many of the contact's messages
-- came after our last message (unread_count: nobody answered them yet), and the last activity.
-- Order of the timeline: WhatsApp's timestamp has whole seconds, so a question and the answer typed on the
-- phone often share one; within a second, the order we stored them in (received_at; an outbound row's
-- sent/created time), then the inbound id. Outbound times are compared at WhatsApp's precision (truncated
-- to the second) so that a contact's message of the same second stays ordered by when it reached us.
create view public.whatsapp_conversations with (security_invoker = true) as
  select c.id as contact_id, c.session_id, c.user_id, c.lid, c.phone_number,
         c.phone_number is null as number_hidden,
         coalesce(c.saved_name, c.push_name) as display_name,
         last.text as last_message_text, last.message_type as last_message_type, last.from_me as last_message_from_me,
         last.pending as last_message_pending, last.at as last_message_at,
         (select count(*)::int from public.inbound_messages i
           where i.contact_id = c.id and not i.from_me and i.deleted_at is null
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
  'One row per contact with messages: phone (null = number hidden), name, last message, unread_count (the contact''s messages after our last one), last activity.';

-- Security ------------------------------------------------------------------------------------------------
alter table public.message_reactions enable row level security;
revoke all on table public.message_reactions from public, anon, authenticated;
grant select on table public.message_reactions to authenticated;
grant all on table public.message_reactions to service_role;
revoke all on sequence public.message_reactions_id_seq from public, anon, authenticated;
create policy "Users can see reactions in their own WhatsApp sessions"
  on public.message_reactions for select to authenticated
  using ((select auth.uid()) = user_id);

revoke all on table public.whatsapp_conversations from public, anon, authenticated;
grant select on table public.whatsapp_conversations to authenticated, service_role;

revoke execute on function public.store_inbound_message(jsonb),
  public.record_inbound_edit(uuid, text, boolean, text, timestamptz),
  public.record_inbound_deletion(uuid, text, boolean, timestamptz),
  public.record_message_reaction(uuid, text, boolean, uuid, text, timestamptz)
  from public, anon, authenticated;
grant execute on function public.store_inbound_message(jsonb),
  public.record_inbound_edit(uuid, text, boolean, text, timestamptz),
  public.record_inbound_deletion(uuid, text, boolean, timestamptz),
  public.record_message_reaction(uuid, text, boolean, uuid, text, timestamptz)
  to service_role;

alter publication supabase_realtime add table public.message_reactions;
