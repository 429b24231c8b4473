-- Credentials of an ended session whose holder died (issue 16 item 5, the gap 005100 left). A newer link that
-- replaces a session held under a live lease leaves the wipe to the holder (it logs the device out on WhatsApp
-- first, then finish_replaced_session); a holder that crashed, was SIGKILLed or lost its database never does,
-- and the 005100 trigger skipped the row because the lease was still live. The same holds for a session that
-- expired while held. Every connector's housekeeping (at start and every EXPIRE_INTERVAL_MS) calls this: once
-- the dead holder's lease has expired, the credentials are wiped and a replaced row says its device could not
-- be logged out. Returns the sessions wiped.
create or replace function public.wipe_abandoned_ended_sessions()
  returns setof uuid
  language sql
  set search_path to ''
  as $$
    with ended as (
      update public.whatsapp_sessions s
         set last_error = case when s.status = 'replaced' then public.replaced_without_logout_note() else s.last_error end,
             lease_owner = null, lease_expires_at = null
       where s.status in ('replaced', 'expired')
         and (s.lease_owner is null or s.lease_expires_at <= now())
         and exists (select 1 from public.whatsapp_auth_state a where a.session_id = s.id)
      returning s.id),
    wiped as (
      delete from public.whatsapp_auth_state a using ended where a.session_id = ended.id
      returning a.session_id)
    select id from ended
  $$;

revoke execute on function public.wipe_abandoned_ended_sessions() from public, anon, authenticated;
grant execute on function public.wipe_abandoned_ended_sessions() to service_role;
