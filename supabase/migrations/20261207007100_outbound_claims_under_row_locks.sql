-- The connector's outbound claims and their renewal (issue 16: under row locks).
--
-- Claims outbound rows only for sessions whose socket is open, never overtaking a retry.
--
-- Due rows are queued rows whose next attempt is due and 'sending' rows whose claim expired (a
-- connector died mid-send), of connected sessions the caller leases. Two rules on top:
--  * right after a start or take-over a session is leased and still 'connected' (from the previous
--    connector) while its new socket is not open yet: rows claimed then can only be put back with a
--    delay, and newer rows overtake them;
--  * a row waiting for its retry (queued, next_attempt_at in the future) is overtaken by newer rows to
--    the same recipient.
-- So the claim takes only the sessions the caller has open, and skips a row while an older row of the same
-- session and recipient waits for a retry, or is still claimed by another connector under a live claim
-- (after a take-over: the dead connector's in-flight rows go first once their claim expires), so
-- messages reach each recipient in the order they were queued.
--
-- Under row locks: the claim locks its rows with SKIP LOCKED, so a row another transaction holds a lock on (a write-back
-- still committing, a user's update) is passed over. Its older-row check reads the snapshot, where the
-- locked row looks due, so the claim used to hand out the NEWER rows of that recipient: sent before the
-- older one, against the per-recipient order. Now a row is handed out only when every older unsettled row
-- of its recipient is either claimed in the same statement or already ours under a live claim (then it
-- is in our session queue, ahead of it). FOR NO KEY UPDATE is the lock the UPDATE takes anyway; it does
-- not collide with the KEY SHARE lock of a foreign-key check (outbound_sent_content).
create or replace function public.claim_ready_outbound_messages(
  p_owner text, p_session_ids uuid[], p_limit integer, p_claim_ttl interval)
  returns setof public.outbound_messages
  language sql
  set search_path to ''
  as $$
    with picked as materialized (
      select m.id, m.session_id, m.recipient, m.created_at
        from public.outbound_messages m
        join public.whatsapp_sessions s on s.id = m.session_id
       where m.session_id = any (p_session_ids)
         and ((m.status = 'queued' and m.next_attempt_at <= now())
              or (m.status = 'sending' and m.claim_expires_at <= now()))
         and s.lease_owner = p_owner and s.lease_expires_at > now() and s.status = 'connected'
         -- cheap pre-filter (keeps the limit for rows that can go): an older row waiting for its retry or
         -- under someone else's live claim holds the recipient back
         and not exists (
           select 1 from public.outbound_messages e
            where e.session_id = m.session_id and e.recipient = m.recipient
              and (e.created_at, e.id) < (m.created_at, m.id)
              and ((e.status = 'queued' and e.next_attempt_at > now())
                   or (e.status = 'sending' and e.claimed_by <> p_owner and e.claim_expires_at > now())))
       order by m.created_at, m.id
       limit p_limit
       for no key update of m skip locked),
    ready as (
      select p.id
        from picked p
       where not exists (
         select 1 from public.outbound_messages e
          where e.session_id = p.session_id and e.recipient = p.recipient
            and (e.created_at, e.id) < (p.created_at, p.id)
            and e.status in ('queued', 'sending')
            and not (e.status = 'sending' and e.claimed_by = p_owner and e.claim_expires_at > now())
            and not exists (select 1 from picked q where q.id = e.id)))
    update public.outbound_messages m
       set status = 'sending', claimed_by = p_owner, claim_expires_at = now() + p_claim_ttl,
           attempts = m.attempts + 1
      from ready
     where m.id = ready.id
    returning m.*
  $$;

-- Keeps claims alive for rows waiting in a session's paced queue.
--
-- claim_ready_outbound_messages hands out rows with a claim TTL. A paced queue can hold a row longer than
-- that; without renewal the same connector reclaims its own rows (inflating attempts) and, worse, a
-- second connector could not tell a live claim from a dead one. The connector renews the claims of the
-- rows it still holds on a timer (TTL/3), like a lease.
--
-- A row another transaction holds a lock on is skipped, not waited for: one slow write must not stall
-- the renewal of every other claim (the timer renews at a third of the TTL, so the skipped row is
-- renewed by the next round). Returns how many claims were extended.
create or replace function public.renew_outbound_claims(p_owner text, p_message_ids uuid[], p_claim_ttl interval)
  returns integer
  language sql
  set search_path to ''
  as $$
    with held as (
      select id from public.outbound_messages
       where id = any (p_message_ids) and claimed_by = p_owner and status = 'sending'
       for no key update skip locked),
    renewed as (
      update public.outbound_messages m
         set claim_expires_at = now() + p_claim_ttl
        from held
       where m.id = held.id
      returning 1)
    select count(*)::integer from renewed
  $$;

-- Nobody but the connector (postgres / service_role) may call these.
revoke execute on function
  public.claim_ready_outbound_messages(text, uuid[], integer, interval),
  public.renew_outbound_claims(text, uuid[], interval)
  from public, anon, authenticated;
grant execute on function
  public.claim_ready_outbound_messages(text, uuid[], integer, interval),
  public.renew_outbound_claims(text, uuid[], interval)
  to service_role;
