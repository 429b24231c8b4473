-- The connector's outbound transitions: retry and failure here; claims and their renewal in 20261207007100,
-- sent and receipts in 20261207007000. Called over a direct Postgres connection; none is executable by anon or
-- authenticated.

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

-- Nobody but the connector (postgres / service_role) may call these.
revoke execute on function
  public.retry_outbound_message(uuid, text, interval, text, text),
  public.fail_outbound_message(uuid, text, text, text),
  public.fail_unsent_messages(uuid, text, text)
  from public, anon, authenticated;
