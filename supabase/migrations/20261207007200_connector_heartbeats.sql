-- Lease heartbeats out of whatsapp_sessions (issue 16: keep connector-only churn out of Realtime's decoding).
-- The heartbeat used to write lease_expires_at on every session a connector holds every TTL/3: with
-- 10,000 sessions, 1,000 row updates a second on a table in the supabase_realtime publication, each one
-- decoded by Realtime and RLS-checked for every browser watching the table. Now a connector renews one row
-- of its own (connector_heartbeats, not published), and a session's lease is live while its own expiry
-- (set when it is taken) has not passed or its owner's heartbeat is live:
--   live(s) = s.lease_owner is not null and (s.lease_expires_at > now() or <heartbeat of s.lease_owner live>)
-- Takeover, fencing numbers and release are unchanged (lease_owner, lease_epoch on the session row).
--
-- Redefines (same signatures, return types and grants; every other line as before): acquire_session_lease,
-- renew_session_leases, assert_session_lease, claim_wanted_sessions, claim_session_commands,
-- set_session_status, delete_unfinished_link_credentials (000500). claim_ready_outbound_messages reads the
-- same live-lease rule; it is defined in 20261207008000.
-- Defines, in their final form, the fenced writes and clean-ups of later features that read the heartbeat:
-- set_session_restriction (its column: 002100), wipe_unheld_replaced_session with its trigger (005100) and
-- wipe_abandoned_ended_sessions (005200). record_session_wa_version (its column: 002000) is in 007300.

create table public.connector_heartbeats (
  owner text primary key,
  expires_at timestamptz not null,
  constraint connector_heartbeats_owner_length_check check (char_length(owner) between 1 and 200)
);
comment on table public.connector_heartbeats is
  'One row per connector process: the sessions it leases stay live while expires_at has not passed. Not published to Realtime.';
alter table public.connector_heartbeats enable row level security;
revoke all on table public.connector_heartbeats from public, anon, authenticated;
grant select, insert, update, delete on table public.connector_heartbeats to service_role;

create or replace function public.acquire_session_lease(p_session_id uuid, p_owner text, p_ttl interval)
  returns bigint
  language sql
  set search_path to ''
  as $$
    update public.whatsapp_sessions s
       set lease_owner = p_owner, lease_epoch = s.lease_epoch + 1, lease_expires_at = now() + p_ttl
     where s.id = p_session_id
       and (s.lease_owner is null or s.lease_owner = p_owner
            or (s.lease_expires_at <= now()
                and not exists (select 1 from public.connector_heartbeats h where h.owner = s.lease_owner and h.expires_at > now())))
    returning s.lease_epoch
  $$;

-- The heartbeat: one row, whatever the number of sessions. Returns the sessions still held. A beat that
-- comes after the owner's heartbeat ran out does not revive the leases that expired with it (another
-- connector may be taking them over): those are let go, as an expired lease always was. Heartbeats of
-- connectors gone for an hour are pruned (an expired heartbeat and none mean the same).
create or replace function public.renew_session_leases(p_owner text, p_ttl interval)
  returns table (session_id uuid, lease_epoch bigint)
  language plpgsql
  set search_path to ''
  as $$
  begin
    if not exists (select 1 from public.connector_heartbeats h where h.owner = p_owner and h.expires_at > now()) then
      update public.whatsapp_sessions s
         set lease_owner = null, lease_expires_at = null
       where s.lease_owner = p_owner and s.lease_expires_at <= now();
    end if;
    insert into public.connector_heartbeats (owner, expires_at) values (p_owner, now() + p_ttl)
      on conflict (owner) do update set expires_at = excluded.expires_at;
    delete from public.connector_heartbeats h where h.expires_at < now() - interval '1 hour';
    return query select s.id, s.lease_epoch from public.whatsapp_sessions s where s.lease_owner = p_owner;
  end;
  $$;

create or replace function public.assert_session_lease(p_session_id uuid, p_owner text, p_epoch bigint)
  returns void
  language plpgsql
  set search_path to ''
  as $$
  begin
    perform 1 from public.whatsapp_sessions s
      where s.id = p_session_id and s.lease_owner = p_owner and s.lease_epoch = p_epoch
        and (s.lease_expires_at > now()
             or exists (select 1 from public.connector_heartbeats h where h.owner = p_owner and h.expires_at > now()))
      for share of s;
    if not found then
      raise exception 'session % lease lost by % (epoch %)', p_session_id, p_owner, p_epoch
        using errcode = 'WL001';
    end if;
  end;
  $$;

create or replace function public.claim_wanted_sessions(p_owner text, p_ttl interval, p_limit integer)
  returns setof public.whatsapp_sessions
  language sql
  set search_path to ''
  as $$
    with picked as (
      select s.id from public.whatsapp_sessions s
       where s.status in ('connecting', 'qr', 'pairing_code', 'connected', 'reconnecting')
         and (s.lease_owner is null
              or (s.lease_expires_at <= now()
                  and not exists (select 1 from public.connector_heartbeats h where h.owner = s.lease_owner and h.expires_at > now())))
       order by s.lease_expires_at nulls first, s.id
       limit p_limit
       for update of s skip locked)
    update public.whatsapp_sessions s
       set lease_owner = p_owner, lease_epoch = s.lease_epoch + 1, lease_expires_at = now() + p_ttl
      from picked
     where s.id = picked.id
    returning s.*
  $$;

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
         and (s.lease_owner is null or s.lease_owner = p_owner
              or (s.lease_expires_at <= now()
                  and not exists (select 1 from public.connector_heartbeats h where h.owner = s.lease_owner and h.expires_at > now())))
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
         and (lease_expires_at > now()
              or exists (select 1 from public.connector_heartbeats h where h.owner = p_owner and h.expires_at > now()))
         and status not in ('replaced', 'expired')
      returning 1)
    select exists (select 1 from changed)
  $$;

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
         and (s.lease_owner is null
              or (s.lease_expires_at <= now()
                  and not exists (select 1 from public.connector_heartbeats h where h.owner = s.lease_owner and h.expires_at > now())))
      returning a.session_id)
    select count(distinct session_id)::integer from orphaned
  $$;

-- The connector's view of the account's time-lock (its query, the server's push, a 463; 002100), fenced.
-- p_until null lifts it: the rows held for it are due at once. false = fenced out.
create or replace function public.set_session_restriction(
  p_session_id uuid, p_owner text, p_epoch bigint, p_until timestamptz, p_kind text)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  begin
    update public.whatsapp_sessions
       set restricted_until = p_until,
           restriction_kind = case when p_until is null then null else left(coalesce(p_kind, 'unknown'), 64) end
     where id = p_session_id and lease_owner = p_owner and lease_epoch = p_epoch
       and (lease_expires_at > now()
            or exists (select 1 from public.connector_heartbeats h where h.owner = p_owner and h.expires_at > now()));
    if not found then
      return false;
    end if;
    if p_until is null then
      update public.outbound_messages
         set next_attempt_at = now()
       where session_id = p_session_id and status = 'queued' and error_code = 'account_restricted'
         and next_attempt_at > now();
    end if;
    return true;
  end;
  $$;

-- A session replaced by a newer link of its phone (complete_session_link) while nobody holds it: no live socket
-- can log its device out, so its credentials are wiped in the same transaction and last_error says the device
-- may still be listed on the phone (005100). A held one is left to its holder (finish_replaced_session).
create or replace function public.wipe_unheld_replaced_session()
  returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  begin
    if new.status = 'replaced' and old.status is distinct from 'replaced'
       and (new.lease_owner is null
            or (new.lease_expires_at <= now()
                and not exists (select 1 from public.connector_heartbeats h where h.owner = new.lease_owner and h.expires_at > now()))) then
      delete from public.whatsapp_auth_state where session_id = new.id;
      new.last_error := public.replaced_without_logout_note();
    end if;
    return new;
  end;
  $$;

-- (or replace: a database that applied 005100 before the fold already has the trigger)
create or replace trigger whatsapp_sessions_wipe_unheld_replaced
  before update of status on public.whatsapp_sessions
  for each row execute function public.wipe_unheld_replaced_session();

-- Credentials of an ended session whose holder died (issue 16 item 5, 005200: the gap 005100 left). A newer
-- link that replaces a session held under a live lease leaves the wipe to the holder (it logs the device out on
-- WhatsApp first, then finish_replaced_session); a holder that crashed, was SIGKILLed or lost its database never
-- does, and the trigger above skipped the row because the lease was still live. The same holds for a session that
-- expired while held. Every connector's housekeeping (at start and every EXPIRE_INTERVAL_MS) calls this: once
-- the dead holder's lease has expired, the credentials are wiped and a replaced row says its device could not
-- be logged out. Returns the sessions wiped.
create or replace function public.wipe_abandoned_ended_sessions()
  returns setof uuid
  language sql
  set search_path to ''
  as $$
    with ended as (
      update public.whatsapp_sessions s
         set last_error = case when s.status = 'replaced' then public.replaced_without_logout_note() else s.last_error end,
             lease_owner = null, lease_expires_at = null
       where s.status in ('replaced', 'expired')
         and (s.lease_owner is null
              or (s.lease_expires_at <= now()
                  and not exists (select 1 from public.connector_heartbeats h where h.owner = s.lease_owner and h.expires_at > now())))
         and exists (select 1 from public.whatsapp_auth_state a where a.session_id = s.id)
      returning s.id),
    wiped as (
      delete from public.whatsapp_auth_state a using ended where a.session_id = ended.id
      returning a.session_id)
    select id from ended
  $$;

revoke execute on function
  public.set_session_restriction(uuid, text, bigint, timestamptz, text),
  public.wipe_unheld_replaced_session(),
  public.wipe_abandoned_ended_sessions()
  from public, anon, authenticated;
grant execute on function
  public.set_session_restriction(uuid, text, bigint, timestamptz, text),
  public.wipe_abandoned_ended_sessions()
  to service_role;
