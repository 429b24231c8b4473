-- The connector's outbound transitions: claims (one skip-locked statement), claim renewal, sent,
-- retry, failure, receipts. Called over a direct Postgres connection; none is executable by anon or
-- authenticated.

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

-- Keeps claims alive for rows waiting in a session's paced queue.
--
-- claim_ready_outbound_messages hands out rows with a claim TTL. A paced queue can hold a row longer than
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

create or replace function public.mark_outbound_sent(p_message_id uuid, p_owner text, p_recipient_jid text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with sent as (
      update public.outbound_messages
         set status = 'sent', sent_at = now(), recipient_jid = p_recipient_jid,
             claimed_by = null, claim_expires_at = null, error_code = null, error = null
       where id = p_message_id and claimed_by = p_owner and status = 'sending'
      returning 1)
    select exists (select 1 from sent)
  $$;

-- Transient failure: back to the queue, due again after p_delay.
create or replace function public.retry_outbound_message(
  p_message_id uuid, p_owner text, p_delay interval, p_error_code text, p_error text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with retried as (
      update public.outbound_messages
         set status = 'queued', next_attempt_at = now() + p_delay, claimed_by = null, claim_expires_at = null,
             error_code = left(p_error_code, 64), error = left(p_error, 1000)
       where id = p_message_id and claimed_by = p_owner and status = 'sending'
      returning 1)
    select exists (select 1 from retried)
  $$;

-- Permanent failure with a readable reason (not on WhatsApp, invalid number, session logged out).
create or replace function public.fail_outbound_message(
  p_message_id uuid, p_owner text, p_error_code text, p_error text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with failed as (
      update public.outbound_messages
         set status = 'failed', failed_at = now(), claimed_by = null, claim_expires_at = null,
             error_code = left(p_error_code, 64), error = left(coalesce(p_error, p_error_code), 1000)
       where id = p_message_id and claimed_by = p_owner and status in ('sending', 'queued')
      returning 1)
    select exists (select 1 from failed)
  $$;

-- Fails every unsent row of a session that can no longer send (logged out, replaced, expired).
create or replace function public.fail_unsent_messages(p_session_id uuid, p_error_code text, p_error text)
  returns integer
  language sql
  set search_path to ''
  as $$
    with failed as (
      update public.outbound_messages
         set status = 'failed', failed_at = now(), claimed_by = null, claim_expires_at = null,
             error_code = left(p_error_code, 64), error = left(p_error, 1000)
       where session_id = p_session_id and status in ('queued', 'sending')
      returning 1)
    select count(*)::integer from failed
  $$;

-- A delivery or read receipt. Status only moves forward (outbound_status is declared in that order):
-- sent -> delivered -> read. A receipt also settles a row that waits for its retry: a row goes back to
-- 'queued' when its socket closed before WhatsApp's ack arrived, although WhatsApp may have had it all
-- along, and the receipt proves it (the retry would send the same WhatsApp id again). Only rows that
-- were tried (attempts > 0) can have a receipt: WhatsApp ids derive from row ids and are unknown before.
create or replace function public.record_outbound_receipt(
  p_session_id uuid, p_wa_message_id text, p_status public.outbound_status)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  begin
    if p_status is null or p_status not in ('delivered', 'read') then
      raise exception 'receipt status must be delivered or read, not %', p_status using errcode = '22023';
    end if;
    update public.outbound_messages
       set status = p_status,
           sent_at = coalesce(sent_at, now()),
           delivered_at = coalesce(delivered_at, now()),
           read_at = case when p_status = 'read' then coalesce(read_at, now()) else read_at end,
           claimed_by = null, claim_expires_at = null, error_code = null, error = null
     where session_id = p_session_id and wa_message_id = p_wa_message_id
       and (status in ('sending', 'sent', 'delivered', 'read') or (status = 'queued' and attempts > 0))
       and status < p_status;
    return found;
  end;
  $$;

-- Nobody but the connector (postgres / service_role) may call these.
revoke execute on function
  public.claim_ready_outbound_messages(text, uuid[], integer, interval),
  public.renew_outbound_claims(text, uuid[], interval),
  public.mark_outbound_sent(uuid, text, text),
  public.retry_outbound_message(uuid, text, interval, text, text),
  public.fail_outbound_message(uuid, text, text, text),
  public.fail_unsent_messages(uuid, text, text),
  public.record_outbound_receipt(uuid, text, public.outbound_status)
  from public, anon, authenticated;
