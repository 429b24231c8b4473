-- renew_outbound_claims returns the ids it renewed (issue 16, review finding).
--
-- It used to return a count (its first body, folded away), and the connector took a successful call as "every claim renewed": a row skipped
-- because another transaction held a lock on it (renewal skips locked rows, 007100) kept its old expiry in
-- the database while the connector's memory moved it on, so the connector could send on a claim that had
-- already lapsed. Now the connector extends in memory exactly the claims this call extended; a skipped row
-- keeps its old deadline there too and is renewed by the next round.
--
-- Keeps claims alive for rows waiting in a session's paced queue.
--
-- claim_ready_outbound_messages hands out rows with a claim TTL. A paced queue can hold a row longer than
-- that; without renewal the same connector reclaims its own rows (inflating attempts) and, worse, a
-- second connector could not tell a live claim from a dead one. The connector renews the claims of the
-- rows it still holds on a timer (TTL/3), like a lease.
--
-- A row another transaction holds a lock on is skipped, not waited for: one slow write must not stall
-- the renewal of every other claim (the timer renews at a third of the TTL, so the skipped row is
-- renewed by the next round).
-- Defined here only (the fold dropped 007100's integer-returning body). The drop is for a database that applied
-- 007100 before the fold: a function's return type cannot be changed by create or replace.
drop function if exists public.renew_outbound_claims(text, uuid[], interval);
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
