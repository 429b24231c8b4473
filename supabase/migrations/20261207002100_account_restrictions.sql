-- Account restrictions (issue 12 §2.6; a decision in CONTRACTS.md: not a status). WhatsApp restricts numbers that
-- message many new contacts: its reachout time-lock (Baileys#2441, #2800 "30-40 msgs to new users → 24 h";
-- whatsmeow#1197 RESTRICT_ALL_COMPANIONS) refuses messages to new contacts with error 463 in the server's ack
-- while established chats keep working. The session stays connected; the row says until when and which kind
-- (the time-lock's enforcement_type), and the connector holds sends to new contacts until then instead of
-- retrying them into failure (every refused send deepens the ban).
alter table public.whatsapp_sessions
  add column restricted_until timestamptz,
  add column restriction_kind text,
  add constraint whatsapp_sessions_restriction_check
    check ((restricted_until is null) = (restriction_kind is null) and char_length(restriction_kind) <= 64);

comment on column public.whatsapp_sessions.restricted_until is
  'While set: WhatsApp refuses this account''s messages to new contacts (reachout time-lock) until then; chats with existing contacts go on.';
comment on column public.whatsapp_sessions.restriction_kind is
  'The time-lock''s enforcement type as WhatsApp reports it (e.g. RESTRICT_ALL_COMPANIONS, BIZ_QUALITY).';

-- The connector's view of the time-lock (its query, the server's push, a 463) is written by
-- set_session_restriction (fenced; p_until null lifts it and the rows held for it are due at once), defined in
-- 20261207007200 in its final form (it reads connector_heartbeats, made there).

-- A claimed row that must wait for a restriction to end: queued again, due at p_until, the claim's attempt given
-- back (a hold is not a failed try: held rows never run out of attempts). Only the claim holder.
create or replace function public.hold_outbound_message(p_message_id uuid, p_owner text, p_until timestamptz, p_error text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with held as (
      update public.outbound_messages
         set status = 'queued', next_attempt_at = greatest(p_until, now()), claimed_by = null, claim_expires_at = null,
             attempts = greatest(attempts - 1, 0), error_code = 'account_restricted', error = left(p_error, 1000)
       where id = p_message_id and claimed_by = p_owner and status = 'sending'
      returning 1)
    select exists (select 1 from held)
  $$;

-- Whether the account has a conversation with this phone number (a message of the contact, one of ours that
-- WhatsApp took, or a chat the history sync sent on link listed, imported or not: history_chat_at, migration
-- 20261207001200): what "new contact" means for the time-lock.
create or replace function public.session_has_chat_with(p_session_id uuid, p_phone text)
  returns boolean
  language sql stable
  set search_path to ''
  as $$
    select exists (
      select 1 from public.whatsapp_contacts c
       where c.session_id = p_session_id and c.phone_number = p_phone
         and (c.history_chat_at is not null
              or exists (select 1 from public.inbound_messages m where m.contact_id = c.id)
              or exists (select 1 from public.outbound_messages o
                          where o.contact_id = c.id and o.status in ('sent', 'delivered', 'read'))))
  $$;

revoke execute on function public.hold_outbound_message(uuid, text, timestamptz, text) from public, anon, authenticated;
revoke execute on function public.session_has_chat_with(uuid, text) from public, anon, authenticated;
grant execute on function public.hold_outbound_message(uuid, text, timestamptz, text) to service_role;
grant execute on function public.session_has_chat_with(uuid, text) to service_role;
