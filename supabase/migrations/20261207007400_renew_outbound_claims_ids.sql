-- renew_outbound_claims returns the ids it renewed (issue 16, review finding).
--
-- It returned a count, and the connector took a successful call as "every claim renewed": a row skipped
-- because another transaction held a lock on it (renewal skips locked rows, 007100) kept its old expiry in
-- the database while the connector's memory moved it on, so the connector could send on a claim that had
-- already lapsed. Now the connector extends in memory exactly the claims this call extended; a skipped row
-- keeps its old deadline there too and is renewed by the next round.
-- The earlier body (007100) is dead from here on; it stays until hardening folds 007100 (frozen today).
drop function public.renew_outbound_claims(text, uuid[], interval);
create function public.renew_outbound_claims(p_owner text, p_message_ids uuid[], p_claim_ttl interval)
  returns setof uuid
  language sql
  set search_path to ''
  as $$
    with held as (
      select id from public.outbound_messages
       where id = any (p_message_ids) and claimed_by = p_owner and status = 'sending'
       for no key update skip locked)
    update public.outbound_messages m
       set claim_expires_at = now() + p_claim_ttl
      from held
     where m.id = held.id
    returning m.id
  $$;

revoke execute on function public.renew_outbound_claims(text, uuid[], interval) from public, anon, authenticated;
grant execute on function public.renew_outbound_claims(text, uuid[], interval) to service_role;
