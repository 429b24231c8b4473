-- Cold start (issue 16 scale): every socket a connector opens records the WA Web version it announced, and
-- on a restart that is the version already on the row: one more whatsapp_sessions write per login (of
-- about five), each decoded by Realtime for a browser watching the row. An unchanged version is not
-- written again; the answer stays the fence's (true while the caller holds the lease).
-- record_session_wa_version is defined here only, in its final form (the column: 002000). Fenced like every
-- connector write; false = fenced out (another connector holds the session).
create or replace function public.record_session_wa_version(p_session_id uuid, p_owner text, p_epoch bigint, p_version text)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_current text;
  begin
    select s.wa_web_version into v_current
      from public.whatsapp_sessions s
     where s.id = p_session_id and s.lease_owner = p_owner and s.lease_epoch = p_epoch
       and (s.lease_expires_at > now()
            or exists (select 1 from public.connector_heartbeats h where h.owner = p_owner and h.expires_at > now()))
       for no key update of s;
    if not found then
      return false;
    end if;
    if v_current is distinct from p_version then
      update public.whatsapp_sessions set wa_web_version = p_version where id = p_session_id;
    end if;
    return true;
  end;
  $$;

revoke execute on function public.record_session_wa_version(uuid, text, bigint, text) from public, anon, authenticated;
grant execute on function public.record_session_wa_version(uuid, text, bigint, text) to service_role;
