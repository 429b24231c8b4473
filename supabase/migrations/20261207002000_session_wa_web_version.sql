-- The WA Web version a session announced to WhatsApp (issue 12 §2.3), kept on the row for support: WhatsApp
-- refuses an outdated one with <failure reason="405"> (Baileys#1937, #2370), the connector then fetches the
-- current one and retries once before ending as client_outdated. Written by the connector for every socket it
-- opens (WA_VERSION pinned, or fetched like Baileys' fetchLatestWaWebVersion, or Baileys' built-in fallback).
alter table public.whatsapp_sessions
  add column wa_web_version text,
  add constraint whatsapp_sessions_wa_web_version_check check (wa_web_version ~ '^[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,12}$');

comment on column public.whatsapp_sessions.wa_web_version is
  'The WA Web version (e.g. 2.3000.1046120035) the connector announced on its latest socket for this session.';

-- Fenced like every connector write; false = fenced out (another connector holds the session).
create or replace function public.record_session_wa_version(p_session_id uuid, p_owner text, p_epoch bigint, p_version text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with changed as (
      update public.whatsapp_sessions set wa_web_version = p_version
       where id = p_session_id and lease_owner = p_owner and lease_epoch = p_epoch and lease_expires_at > now()
      returning 1)
    select exists (select 1 from changed)
  $$;

revoke execute on function public.record_session_wa_version(uuid, text, bigint, text) from public, anon, authenticated;
grant execute on function public.record_session_wa_version(uuid, text, bigint, text) to service_role;
