-- The WA Web version a session announced to WhatsApp (issue 12 §2.3), kept on the row for support: WhatsApp
-- refuses an outdated one with <failure reason="405"> (Baileys#1937, #2370), the connector then fetches the
-- current one and retries once before ending as client_outdated. Written by the connector for every socket it
-- opens (WA_VERSION pinned, or fetched like Baileys' fetchLatestWaWebVersion, or Baileys' built-in fallback).
alter table public.whatsapp_sessions
  add column wa_web_version text,
  add constraint whatsapp_sessions_wa_web_version_check check (wa_web_version ~ '^[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,12}$');

comment on column public.whatsapp_sessions.wa_web_version is
  'The WA Web version (e.g. 2.3000.1046120035) the connector announced on its latest socket for this session.';

-- The connector records it with record_session_wa_version (fenced; false = another connector holds the
-- session), defined in 20261207007300 in its final form (it reads connector_heartbeats, made in 007200).
