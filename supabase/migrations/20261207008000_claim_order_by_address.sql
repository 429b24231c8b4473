-- Per-recipient send order for contact-addressed rows (issue 15): a row addressed to a number-hidden contact has
-- recipient null and the contact's LID jid in recipient_jid (20261207004500). 007410's claim compared
-- `recipient`, and null = null is not true in SQL, so two rows to the same LID contact never held each other
-- back: the newer could be claimed (and sent) while the older waited for its retry or was under another claim.
-- The claim now compares each row's address, coalesce(recipient, recipient_jid): the phone when the row has
-- one, else the LID jid. Otherwise 007410's statement unchanged (read its comments and 007100's).
-- NOTE for the fold (hardening): this redefines claim_ready_outbound_messages of 20261207007410; that body is dead.
create or replace function public.claim_ready_outbound_messages(
  p_owner text, p_session_ids uuid[], p_limit integer, p_claim_ttl interval)
  returns setof public.outbound_messages
  language plpgsql
  set search_path to ''
  as $$
  begin
    return query
    with picked as materialized (
      select m.id, m.session_id, coalesce(m.recipient, m.recipient_jid) as address, m.created_at
        from public.outbound_messages m
        join public.whatsapp_sessions s on s.id = m.session_id
       where m.session_id = any (p_session_ids)
         and ((m.status = 'queued' and m.next_attempt_at <= now())
              or (m.status = 'sending' and m.claim_expires_at <= now()))
         and s.lease_owner = p_owner and s.status = 'connected'
         and (s.lease_expires_at > now()
              or exists (select 1 from public.connector_heartbeats h where h.owner = p_owner and h.expires_at > now()))
         -- cheap pre-filter (keeps the limit for rows that can go): an older row waiting for its retry or
         -- under someone else's live claim holds the address back
         and not exists (
           select 1 from public.outbound_messages e
            where e.session_id = m.session_id and coalesce(e.recipient, e.recipient_jid) = coalesce(m.recipient, m.recipient_jid)
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
          where e.session_id = p.session_id and coalesce(e.recipient, e.recipient_jid) = p.address
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
