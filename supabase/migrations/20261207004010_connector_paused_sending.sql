-- Connector: give back a claimed outbound row untried (its user paused sending, see
-- configuracion_mensajeria_usuario.active). Unlike retry_outbound_message the claim's attempt is undone:
-- pausing and resuming must not look like failed sends (a row with attempts > 1 is checked against
-- WhatsApp's receipts before it is sent again, and OUTBOUND_MAX_ATTEMPTS bounds send failures).
create or replace function public.return_outbound_message(p_message_id uuid, p_owner text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with returned as (
      update public.outbound_messages
         set status = 'queued', next_attempt_at = now(), claimed_by = null, claim_expires_at = null,
             attempts = greatest(attempts - 1, 0)
       where id = p_message_id and claimed_by = p_owner and status = 'sending'
      returning 1)
    select exists (select 1 from returned)
  $$;

revoke execute on function public.return_outbound_message(uuid, text) from public, anon, authenticated;
