-- The conversations the history sync sent on link lists (issue 12's "existing chat", issue 13 item 5): WhatsApp
-- tells a new companion which chats the account has, with their last message time, whether or not the user
-- imports their messages (history_import off keeps no message). A chat listed there is an existing chat, not a
-- new contact, for the reachout time-lock (session_has_chat_with, migration 20261207002100).

alter table public.whatsapp_contacts
  add column history_chat_at timestamptz;

comment on column public.whatsapp_contacts.history_chat_at is
  'The history sync sent on link listed a conversation with this contact (its last message time; the newest sync wins): an existing chat.';

-- p_chats: [{"lid": "<digits>@lid" | null, "phone": "+E164" | null, "at": timestamptz | null}, …] (1:1 chats only).
-- Marks the session's contacts they name (the connector records the contacts of the same sync first);
-- returns how many were marked. A chat whose contact is unknown is skipped.
create or replace function public.record_history_chats(p_session_id uuid, p_chats jsonb)
  returns integer
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_count integer;
  begin
    if jsonb_typeof(p_chats) is distinct from 'array' then
      raise exception 'history chats must be a JSON array' using errcode = 'WL422';
    end if;
    with chats as (
      select nullif(e ->> 'lid', '') as lid, nullif(e ->> 'phone', '') as phone,
             coalesce((e ->> 'at')::timestamptz, now()) as at
        from jsonb_array_elements(p_chats) e
    ), marked as (
      update public.whatsapp_contacts c
         set history_chat_at = greatest(c.history_chat_at, x.at)
        from (select c2.id, max(ch.at) as at
                from chats ch
                join public.whatsapp_contacts c2
                  on c2.session_id = p_session_id and (c2.lid = ch.lid or c2.phone_number = ch.phone)
               group by c2.id) x
       where c.id = x.id
      returning 1)
    select count(*)::int into v_count from marked;
    return v_count;
  end;
  $$;

revoke execute on function public.record_history_chats(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.record_history_chats(uuid, jsonb) to service_role;
