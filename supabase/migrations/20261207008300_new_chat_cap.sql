-- WhatsApp's cap on new chats (issue 12 §2.6): besides the reachout time-lock (002100), WhatsApp counts the
-- conversations an account starts with new contacts per cycle. rc14 asks for it with the w:mex query
-- MESSAGE_CAPPING_INFO 24503548349331633, variables {"input":{"type":"INDIVIDUAL_NEW_CHAT_MSG"}}, answered under
-- xwa2_message_capping_info (Socket/socket.js fetchNewChatMessageCap, Types/Mex.js, Types/State.d.ts
-- NewChatMessageCapInfo: total_quota, used_quota, cycle_end_timestamp, server_sent_timestamp, capping_status NONE /
-- FIRST_WARNING / SECOND_WARNING / CAPPED), and hears the server's push MessageCappingInfoNotification
-- (messages-recv.js handleMessageCappingNotification). The connector asks where it asks for the time-lock
-- (connector/outbound/restrictions.ts: every socket open, a 463, the push) and the row keeps the last answer. Query
-- id, fields and quota are rc14's and unverified against the real server.
alter table public.whatsapp_sessions
  add column new_chat_quota integer,
  add column new_chats_used integer,
  add column new_chat_cycle_ends_at timestamptz,
  add column new_chat_cap_status text,
  add constraint whatsapp_sessions_new_chat_cap_check
    check ((new_chat_quota is null) = (new_chats_used is null)
           and new_chat_quota >= 0 and new_chats_used >= 0 and char_length(new_chat_cap_status) <= 32);

comment on column public.whatsapp_sessions.new_chat_quota is
  'WhatsApp''s cap on new chats per cycle (total_quota of its message capping info), as last reported.';
comment on column public.whatsapp_sessions.new_chats_used is
  'New chats this account started in the current cycle (used_quota), as WhatsApp last reported it.';
comment on column public.whatsapp_sessions.new_chat_cycle_ends_at is
  'When the cap''s cycle ends and the count starts again (cycle_end_timestamp).';
comment on column public.whatsapp_sessions.new_chat_cap_status is
  'capping_status as WhatsApp reports it: NONE, FIRST_WARNING, SECOND_WARNING or CAPPED.';

-- The connector's last answer of the cap, fenced like set_session_restriction (007430: session_lease_live); false = fenced out. An
-- unchanged answer (every socket open asks) is not written again, like record_session_wa_version (007300).
create or replace function public.set_session_new_chat_cap(
  p_session_id uuid, p_owner text, p_epoch bigint, p_quota integer, p_used integer, p_cycle_ends_at timestamptz,
  p_status text)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_row public.whatsapp_sessions;
    v_status text := left(p_status, 32);
  begin
    select s.* into v_row
      from public.whatsapp_sessions s
     where s.id = p_session_id and s.lease_owner = p_owner and s.lease_epoch = p_epoch
       and public.session_lease_live(s.lease_owner, s.lease_expires_at)
       for no key update of s;
    if not found then
      return false;
    end if;
    if (v_row.new_chat_quota, v_row.new_chats_used, v_row.new_chat_cycle_ends_at, v_row.new_chat_cap_status)
       is distinct from (greatest(p_quota, 0), greatest(p_used, 0), p_cycle_ends_at, v_status) then
      update public.whatsapp_sessions
         set new_chat_quota = greatest(p_quota, 0), new_chats_used = greatest(p_used, 0),
             new_chat_cycle_ends_at = p_cycle_ends_at, new_chat_cap_status = v_status
       where id = p_session_id;
    end if;
    return true;
  end;
  $$;

revoke execute on function public.set_session_new_chat_cap(uuid, text, bigint, integer, integer, timestamptz, text)
  from public, anon, authenticated;
grant execute on function public.set_session_new_chat_cap(uuid, text, bigint, integer, integer, timestamptz, text)
  to service_role;
