-- Connector: keep claims alive for rows waiting in a session's paced queue.
--
-- claim_outbound_messages hands out rows with a claim TTL. A paced queue can hold a row longer than
-- that; without renewal the same connector reclaims its own rows (inflating attempts) and, worse, a
-- second connector could not tell a live claim from a dead one. The connector renews the claims of the
-- rows it still holds on a timer (TTL/3), like a lease. Returns how many claims were extended.
create or replace function public.renew_outbound_claims(p_owner text, p_message_ids uuid[], p_claim_ttl interval)
  returns integer
  language sql
  set search_path to ''
  as $$
    with renewed as (
      update public.outbound_messages
         set claim_expires_at = now() + p_claim_ttl
       where id = any (p_message_ids) and claimed_by = p_owner and status = 'sending'
      returning 1)
    select count(*)::integer from renewed
  $$;

revoke execute on function public.renew_outbound_claims(text, uuid[], interval) from public, anon, authenticated;
