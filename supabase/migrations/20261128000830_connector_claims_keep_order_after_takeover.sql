-- Connector: after a take-over, never overtake rows still claimed by the previous connector.
--
-- When a connector dies mid-send, its 'sending' rows stay claimed until their claim expires, while the
-- newer 'queued' rows of the same recipient are claimable at once: the new holder sent those first and
-- the recipient saw messages out of order (found by the SIGKILL test). A row is now skipped while an
-- older row of the same session and recipient is claimed by another connector under a live claim; once
-- that claim expires, the older rows are claimed first (the claim orders by created_at).
create or replace function public.claim_ready_outbound_messages(
  p_owner text, p_session_ids uuid[], p_limit integer, p_claim_ttl interval)
  returns setof public.outbound_messages
  language sql
  set search_path to ''
  as $$
    with picked as (
      select m.id
        from public.outbound_messages m
        join public.whatsapp_sessions s on s.id = m.session_id
       where m.session_id = any (p_session_ids)
         and ((m.status = 'queued' and m.next_attempt_at <= now())
              or (m.status = 'sending' and m.claim_expires_at <= now()))
         and s.lease_owner = p_owner and s.lease_expires_at > now() and s.status = 'connected'
         and not exists (
           select 1 from public.outbound_messages e
            where e.session_id = m.session_id and e.recipient = m.recipient
              and (e.created_at, e.id) < (m.created_at, m.id)
              and ((e.status = 'queued' and e.next_attempt_at > now())
                   or (e.status = 'sending' and e.claimed_by <> p_owner and e.claim_expires_at > now())))
       order by m.created_at, m.id
       limit p_limit
       for update of m skip locked)
    update public.outbound_messages m
       set status = 'sending', claimed_by = p_owner, claim_expires_at = now() + p_claim_ttl,
           attempts = m.attempts + 1
      from picked
     where m.id = picked.id
    returning m.*
  $$;

revoke execute on function public.claim_ready_outbound_messages(text, uuid[], integer, interval)
  from public, anon, authenticated;
