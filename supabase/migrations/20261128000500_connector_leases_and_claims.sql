-- The connector's API: leases with fencing numbers, atomic claims, and state transitions.
--
-- Each state transition is one function, called by the connector over a direct Postgres connection.
-- None of them is executable by anon or authenticated. Errors the connector must react to carry our
-- own SQLSTATEs: WL001 = the caller does not hold the session lease (fenced out).

-- Leases --------------------------------------------------------------------------------------------

-- Takes the lease of a session that is free, expired, or already ours. Returns the new fencing
-- number, or null when another connector holds a live lease.
create or replace function public.acquire_session_lease(p_session_id uuid, p_owner text, p_ttl interval)
  returns bigint
  language sql
  set search_path to ''
  as $$
    update public.whatsapp_sessions
       set lease_owner = p_owner, lease_epoch = lease_epoch + 1, lease_expires_at = now() + p_ttl
     where id = p_session_id
       and (lease_owner is null or lease_expires_at <= now() or lease_owner = p_owner)
    returning lease_epoch
  $$;

-- Renews every lease an owner holds in one statement (the heartbeat). Returns the sessions still held.
create or replace function public.renew_session_leases(p_owner text, p_ttl interval)
  returns table (session_id uuid, lease_epoch bigint)
  language sql
  set search_path to ''
  as $$
    update public.whatsapp_sessions s
       set lease_expires_at = now() + p_ttl
     where s.lease_owner = p_owner and s.lease_expires_at > now()
    returning s.id, s.lease_epoch
  $$;

create or replace function public.release_session_lease(p_session_id uuid, p_owner text, p_epoch bigint)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with released as (
      update public.whatsapp_sessions
         set lease_owner = null, lease_expires_at = null
       where id = p_session_id and lease_owner = p_owner and lease_epoch = p_epoch
      returning 1)
    select exists (select 1 from released)
  $$;

-- Raises WL001 unless the caller holds a live lease with this epoch. Call it first in every
-- transaction that writes a session's auth state: it also locks the session row (FOR SHARE) so the
-- lease cannot be taken over while the transaction runs.
create or replace function public.assert_session_lease(p_session_id uuid, p_owner text, p_epoch bigint)
  returns void
  language plpgsql
  set search_path to ''
  as $$
  begin
    perform 1 from public.whatsapp_sessions
      where id = p_session_id and lease_owner = p_owner and lease_epoch = p_epoch
        and lease_expires_at > now()
      for share;
    if not found then
      raise exception 'session % lease lost by % (epoch %)', p_session_id, p_owner, p_epoch
        using errcode = 'WL001';
    end if;
  end;
  $$;

-- Takes the leases of sessions that should have a live socket (linked, linking or reconnecting) and
-- that nobody holds, up to p_limit. Used on start and by the sweep that picks up a dead connector's
-- sessions.
create or replace function public.claim_wanted_sessions(p_owner text, p_ttl interval, p_limit integer)
  returns setof public.whatsapp_sessions
  language sql
  set search_path to ''
  as $$
    with picked as (
      select id from public.whatsapp_sessions
       where status in ('connecting', 'qr', 'pairing_code', 'connected', 'reconnecting')
         and (lease_owner is null or lease_expires_at <= now())
       order by lease_expires_at nulls first, id
       limit p_limit
       for update skip locked)
    update public.whatsapp_sessions s
       set lease_owner = p_owner, lease_epoch = s.lease_epoch + 1, lease_expires_at = now() + p_ttl
      from picked
     where s.id = picked.id
    returning s.*
  $$;

-- Commands ------------------------------------------------------------------------------------------

-- Claims pending commands (and running ones whose claim expired) of sessions that are free or ours.
create or replace function public.claim_session_commands(p_owner text, p_limit integer, p_claim_ttl interval)
  returns setof public.session_commands
  language sql
  set search_path to ''
  as $$
    with picked as (
      select c.id
        from public.session_commands c
        join public.whatsapp_sessions s on s.id = c.session_id
       where (c.status = 'pending' or (c.status = 'running' and c.claim_expires_at <= now()))
         and (s.lease_owner is null or s.lease_expires_at <= now() or s.lease_owner = p_owner)
       order by c.id
       limit p_limit
       for update of c skip locked)
    update public.session_commands c
       set status = 'running', claimed_by = p_owner, claim_expires_at = now() + p_claim_ttl,
           attempts = c.attempts + 1
      from picked
     where c.id = picked.id
    returning c.*
  $$;

-- Marks a claimed command done, or failed with a readable error. false = not ours anymore.
create or replace function public.complete_session_command(p_command_id bigint, p_owner text, p_error text default null)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with completed as (
      update public.session_commands
         set status = (case when p_error is null then 'done' else 'failed' end)::public.command_status,
             error = left(p_error, 1000), completed_at = now(), claimed_by = null, claim_expires_at = null
       where id = p_command_id and claimed_by = p_owner and status = 'running'
      returning 1)
    select exists (select 1 from completed)
  $$;

-- Gives a claimed command back (e.g. another connector holds the session).
create or replace function public.return_session_command(p_command_id bigint, p_owner text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with returned as (
      update public.session_commands
         set status = 'pending', claimed_by = null, claim_expires_at = null
       where id = p_command_id and claimed_by = p_owner and status = 'running'
      returning 1)
    select exists (select 1 from returned)
  $$;

-- Sessions ------------------------------------------------------------------------------------------

-- A link finished (pair-success, then open). The older active session of the same phone number is
-- marked replaced (the newer link wins) in the same transaction, and its unsent rows fail (nothing
-- would ever send them: claims take connected sessions only). Returns the replaced session ids.
create or replace function public.complete_session_link(
  p_session_id uuid, p_owner text, p_epoch bigint,
  p_phone_number text, p_wa_jid text, p_wa_lid text, p_push_name text)
  returns setof uuid
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_replaced uuid[];
  begin
    perform public.assert_session_lease(p_session_id, p_owner, p_epoch);
    with replaced as (
      update public.whatsapp_sessions
         set status = 'replaced', last_error = 'replaced: this WhatsApp number was linked again in a newer session',
             qr = null, qr_expires_at = null, pairing_code = null, disconnected_at = now()
       where phone_number = p_phone_number and id <> p_session_id
         and public.is_active_session_status(status)
      returning id)
    select coalesce(array_agg(id), '{}') into v_replaced from replaced;
    update public.outbound_messages
       set status = 'failed', failed_at = now(), claimed_by = null, claim_expires_at = null,
           error_code = 'session_replaced',
           error = 'The WhatsApp number was linked again in a newer session before the message was sent'
     where session_id = any (v_replaced) and status in ('queued', 'sending');
    return query select unnest(v_replaced);
    update public.whatsapp_sessions
       set status = 'connected', phone_number = p_phone_number, wa_jid = p_wa_jid, wa_lid = p_wa_lid,
           push_name = p_push_name, qr = null, qr_expires_at = null, pairing_code = null,
           last_error = null, last_disconnect_code = null, reconnect_attempts = 0,
           connected_at = now(), last_activity_at = now()
     where id = p_session_id;
  end;
  $$;

-- The connector's status changes (connecting, QR, pairing code, reconnecting, disconnected, logged out,
-- failed, ...), fenced. The QR and the pairing code belong to their status (any other clears them).
-- p_change may carry last_error, last_disconnect_code and reconnect_attempts: a key present sets the
-- column (JSON null clears it), a key absent keeps it. A session another writer ended (replaced by a
-- newer link, expired) keeps that status. false = fenced out or ended elsewhere.
create or replace function public.set_session_status(
  p_session_id uuid, p_owner text, p_epoch bigint, p_status public.session_status,
  p_change jsonb default '{}'::jsonb, p_qr text default null, p_qr_expires_at timestamptz default null,
  p_pairing_code text default null)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with changed as (
      update public.whatsapp_sessions set
             status = p_status,
             qr = case when p_status = 'qr' then p_qr end,
             qr_expires_at = case when p_status = 'qr' then p_qr_expires_at end,
             pairing_code = case when p_status = 'pairing_code' then p_pairing_code end,
             last_error = case when p_change ? 'last_error' then left(p_change ->> 'last_error', 1000) else last_error end,
             last_disconnect_code = case when p_change ? 'last_disconnect_code'
                                         then (p_change ->> 'last_disconnect_code')::integer else last_disconnect_code end,
             reconnect_attempts = case when p_change ? 'reconnect_attempts'
                                       then (p_change ->> 'reconnect_attempts')::integer else reconnect_attempts end,
             disconnected_at = case when p_status = 'disconnected' or public.is_terminal_session_status(p_status)
                                    then now() else disconnected_at end
       where id = p_session_id and lease_owner = p_owner and lease_epoch = p_epoch
         and lease_expires_at > now() and status not in ('replaced', 'expired')
      returning 1)
    select exists (select 1 from changed)
  $$;

-- Something happened on the socket (a message, a receipt): the session is not idle.
create or replace function public.touch_session_activity(p_session_id uuid, p_owner text, p_epoch bigint)
  returns void
  language sql
  set search_path to ''
  as $$
    update public.whatsapp_sessions set last_activity_at = now()
     where id = p_session_id and lease_owner = p_owner and lease_epoch = p_epoch
  $$;

-- Deletes every credential of a session (logout, 401). Fenced like every auth-state write (WL001).
create or replace function public.wipe_session_auth_state(p_session_id uuid, p_owner text, p_epoch bigint)
  returns integer
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_deleted integer;
  begin
    perform public.assert_session_lease(p_session_id, p_owner, p_epoch);
    delete from public.whatsapp_auth_state where session_id = p_session_id;
    get diagnostics v_deleted = row_count;
    return v_deleted;
  end;
  $$;

-- Sessions idle longer than p_idle expire: status 'expired', credentials wiped, unsent rows failed.
create or replace function public.expire_idle_sessions(p_idle interval)
  returns setof uuid
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_ids uuid[];
  begin
    with expired as (
      update public.whatsapp_sessions
         set status = 'expired', qr = null, qr_expires_at = null, pairing_code = null,
             last_error = 'expired: no activity for ' || p_idle::text, disconnected_at = now(),
             lease_owner = null, lease_expires_at = null
       where public.is_active_session_status(status) and last_activity_at < now() - p_idle
      returning id)
    select array_agg(id) into v_ids from expired;
    if v_ids is null then
      return;
    end if;
    delete from public.whatsapp_auth_state where session_id = any (v_ids);
    update public.outbound_messages
       set status = 'failed', failed_at = now(), claimed_by = null, claim_expires_at = null,
           error_code = 'session_expired', error = 'The WhatsApp session expired before the message was sent'
     where session_id = any (v_ids) and status in ('queued', 'sending');
    return query select unnest(v_ids);
  end;
  $$;

-- Credentials of links that never finished (no phone number, not linking any more, or stuck linking
-- for longer than p_older_than) are deleted. Returns how many sessions lost their partial credentials.
create or replace function public.delete_unfinished_link_credentials(p_older_than interval)
  returns integer
  language sql
  set search_path to ''
  as $$
    with orphaned as (
      delete from public.whatsapp_auth_state a
       using public.whatsapp_sessions s
       where s.id = a.session_id and s.phone_number is null
         and (public.is_terminal_session_status(s.status) or s.status in ('disconnected', 'new')
              or s.updated_at < now() - p_older_than)
         and (s.lease_owner is null or s.lease_expires_at <= now())
      returning a.session_id)
    select count(distinct session_id)::integer from orphaned
  $$;

-- Nobody but the connector (postgres / service_role) may call these.
revoke execute on function
  public.acquire_session_lease(uuid, text, interval),
  public.renew_session_leases(text, interval),
  public.release_session_lease(uuid, text, bigint),
  public.assert_session_lease(uuid, text, bigint),
  public.claim_wanted_sessions(text, interval, integer),
  public.claim_session_commands(text, integer, interval),
  public.complete_session_command(bigint, text, text),
  public.return_session_command(bigint, text),
  public.set_session_status(uuid, text, bigint, public.session_status, jsonb, text, timestamptz, text),
  public.touch_session_activity(uuid, text, bigint),
  public.wipe_session_auth_state(uuid, text, bigint),
  public.complete_session_link(uuid, text, bigint, text, text, text, text),
  public.expire_idle_sessions(interval),
  public.delete_unfinished_link_credentials(interval)
  from public, anon, authenticated;
