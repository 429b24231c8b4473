-- Connector: claim outbound rows only for sessions whose socket is open, never overtaking a retry.
--
-- claim_outbound_messages takes due rows of every connected session the caller leases. Two gaps:
--  * right after a start or take-over a session is leased and still 'connected' (from the previous
--    connector) while its new socket is not open yet: rows claimed then can only be put back with a
--    delay, and newer rows overtake them;
--  * a row waiting for its retry (queued, next_attempt_at in the future) is overtaken by newer rows to
--    the same recipient.
-- This variant takes the sessions the caller has open, and skips a row while an older row of the same
-- session and recipient waits for a retry, or is still claimed by another connector under a live claim
-- (after a take-over: the dead connector's in-flight rows go first once their claim expires), so
-- messages reach each recipient in the order they were queued.
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
