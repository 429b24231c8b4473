-- A replaced session leaves nothing linked behind (issue 16 item 5). When a newer link of the same phone
-- replaces an older session (complete_session_link), the older one kept its credential rows (816 of them) and
-- its device stayed in the phone's Linked devices list; WhatsApp allows only a few linked devices, so a rep who
-- re-linked a few times was locked out of linking.
--
-- Now: the connector holding the older session logs its device out on WhatsApp (remove-companion-device), then
-- finish_replaced_session wipes its credentials, releases the lease and says what happened in last_error. An
-- older session nobody holds (no live socket, so nothing can log it out) has its credentials wiped in the
-- same transaction that replaces it, and last_error says its device may still be listed on the phone.
--
-- 440 (stream:error conflict type=replaced: another client logged in with the same credentials) is a
-- different case: the connector writes status 'replaced' (fenced: a connector that lost its lease writes
-- nothing), does not log out (that would unlink the device for whoever now drives it) and wipes the
-- credentials (a terminal session never uses them again). See connector/lifecycle/decide-on-close.ts.

create or replace function public.replaced_without_logout_note()
  returns text
  language sql
  immutable
  set search_path to ''
  as $$ select 'replaced: this WhatsApp number was linked again in a newer session; the old device was not connected, '
             || 'so it could not be logged out on WhatsApp (remove it under Linked devices on the phone); credentials wiped' $$;

-- An older session nobody holds is wiped by the before-update trigger whatsapp_sessions_wipe_unheld_replaced
-- (wipe_unheld_replaced_session), made in 20261207007200 with its final body ("nobody holds" reads
-- connector_heartbeats, made there).

-- The holder of a replaced session is done with it: p_logged_out says whether WhatsApp confirmed the logout
-- of its device (the socket was open and remove-companion-device was sent). Credentials wiped, lease released.
-- Fenced like every write (WL001 without the lease). Also for an expired session (credentials already wiped).
create or replace function public.finish_replaced_session(p_session_id uuid, p_owner text, p_epoch bigint, p_logged_out boolean)
  returns void
  language plpgsql
  set search_path to ''
  as $$
  begin
    perform public.assert_session_lease(p_session_id, p_owner, p_epoch);
    delete from public.whatsapp_auth_state where session_id = p_session_id;
    update public.whatsapp_sessions
       set last_error = case
             when status <> 'replaced' then last_error
             when p_logged_out then 'replaced: this WhatsApp number was linked again in a newer session; '
                                    || 'the old device was logged out on WhatsApp and its credentials wiped'
             else public.replaced_without_logout_note() end,
           lease_owner = null, lease_expires_at = null
     where id = p_session_id;
  end;
  $$;

revoke execute on function public.replaced_without_logout_note() from public, anon, authenticated;
revoke execute on function public.finish_replaced_session(uuid, text, bigint, boolean) from public, anon, authenticated;
grant execute on function public.finish_replaced_session(uuid, text, bigint, boolean) to service_role;
