-- claim_ready_outbound_messages in plpgsql (issue 16, send latency): same statement, same rules as its
-- body in 20261207007200 (read the comments in 007100), but plpgsql keeps the statement's plan for the
-- session, where a `language sql` function plans it again on every call: the claim on the doorbell path
-- took 2.9 ms p50 against 0.6 ms now (one row, bench database, same box). The claim is one round trip
-- before every first send, so this is send latency.
-- The earlier body (007200) is dead from here on; it stays until hardening folds 007200 (frozen today).
create or replace function public.claim_ready_outbound_messages(
  p_owner text, p_session_ids uuid[], p_limit integer, p_claim_ttl interval)
  returns setof public.outbound_messages
  language plpgsql
  set search_path to ''
  as $$
  begin
    return query
    with picked as materialized (
      select m.id, m.session_id, m.recipient, m.created_at
        from public.outbound_messages m
        join public.whatsapp_sessions s on s.id = m.session_id
       where m.session_id = any (p_session_ids)
         and ((m.status = 'queued' and m.next_attempt_at <= now())
              or (m.status = 'sending' and m.claim_expires_at <= now()))
         and s.lease_owner = p_owner and s.status = 'connected'
         and (s.lease_expires_at > now()
              or exists (select 1 from public.connector_heartbeats h where h.owner = p_owner and h.expires_at > now()))
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
    returning m.*;
  end;
  $$;
revoke execute on function public.claim_ready_outbound_messages(text, uuid[], integer, interval) from public, anon, authenticated;
grant execute on function public.claim_ready_outbound_messages(text, uuid[], integer, interval) to service_role;
