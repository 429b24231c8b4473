-- One rule for "this session's lease is live" (issue 16): session_lease_live(lease_owner, lease_expires_at).
-- 007200 moved lease renewal to one heartbeat row per connector, and a session's lease became live while its
-- own expiry (set when it is taken) has not passed or its owner's heartbeat has not; that rule was then spelled
-- out in twelve function bodies (a live lease for the caller's fencing, a dead one for a take-over or a clean-up).
-- It is written once here, and the functions that ask it for one session are defined here in their final form
-- (same signatures, return types and grants; every other line as before): acquire_session_lease,
-- assert_session_lease, set_session_status (first bodies: 000500), set_session_restriction (column: 002100),
-- wipe_unheld_replaced_session and its trigger (005100), record_session_wa_version (column: 002000; an
-- unchanged version not written: 007300).
-- The scans keep the rule spelled out, as a correlated not-exists the planner turns into one anti-join:
-- claim_wanted_sessions, claim_session_commands, delete_unfinished_link_credentials (000500) and
-- wipe_abandoned_ended_sessions (005200), moved here unchanged from 007200 to sit next to the rule. A function
-- call per row cannot be inlined (it holds a sub-select): claim_wanted_sessions over 10,000 sessions held past
-- their own expiry took 148 ms p50 with it against 8.8 ms spelled out (30 calls, one box, a test run beside).
-- Also spelled out: claim_ready_outbound_messages (20261207008000, a later migration). renew_session_leases
-- (007200) asks a different question: whether the caller's own heartbeat ran out.

-- Never null: an owner without an expiry (the row's check constraint forbids it) counts as not live.
create function public.session_lease_live(p_lease_owner text, p_lease_expires_at timestamptz)
  returns boolean
  language sql
  stable
  set search_path to ''
  as $$
    select p_lease_owner is not null
       and (coalesce(p_lease_expires_at > now(), false)
            or exists (select 1 from public.connector_heartbeats h where h.owner = p_lease_owner and h.expires_at > now()))
  $$;

-- The connector's functions call it as their caller (the owner or service_role).
revoke execute on function public.session_lease_live(text, timestamptz) from public, anon, authenticated;
grant execute on function public.session_lease_live(text, timestamptz) to service_role;

create or replace function public.acquire_session_lease(p_session_id uuid, p_owner text, p_ttl interval)
  returns bigint
  language sql
  set search_path to ''
  as $$
    update public.whatsapp_sessions s
       set lease_owner = p_owner, lease_epoch = s.lease_epoch + 1, lease_expires_at = now() + p_ttl
     where s.id = p_session_id
       and (s.lease_owner = p_owner or not public.session_lease_live(s.lease_owner, s.lease_expires_at))
    returning s.lease_epoch
  $$;

create or replace function public.assert_session_lease(p_session_id uuid, p_owner text, p_epoch bigint)
  returns void
  language plpgsql
  set search_path to ''
  as $$
  begin
    perform 1 from public.whatsapp_sessions s
      where s.id = p_session_id and s.lease_owner = p_owner and s.lease_epoch = p_epoch
        and public.session_lease_live(s.lease_owner, s.lease_expires_at)
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
         and public.session_lease_live(lease_owner, lease_expires_at)
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
       and public.session_lease_live(lease_owner, lease_expires_at);
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
       and not public.session_lease_live(new.lease_owner, new.lease_expires_at) then
      delete from public.whatsapp_auth_state where session_id = new.id;
      new.last_error := public.replaced_without_logout_note();
    end if;
    return new;
  end;
  $$;

-- (or replace: a database that applied 005100 or 007200 before their fold has the trigger already)
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

-- Cold start (issue 16 scale): every socket a connector opens records the WA Web version it announced, and
-- on a restart that is the version already on the row: one more whatsapp_sessions write per login (of
-- about five), each decoded by Realtime for a browser watching the row. An unchanged version is not
-- written again; the answer stays the fence's (true while the caller holds the lease).
create or replace function public.record_session_wa_version(p_session_id uuid, p_owner text, p_epoch bigint, p_version text)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_current text;
  begin
    select s.wa_web_version into v_current
      from public.whatsapp_sessions s
     where s.id = p_session_id and s.lease_owner = p_owner and s.lease_epoch = p_epoch
       and public.session_lease_live(s.lease_owner, s.lease_expires_at)
       for no key update of s;
    if not found then
      return false;
    end if;
    if v_current is distinct from p_version then
      update public.whatsapp_sessions set wa_web_version = p_version where id = p_session_id;
    end if;
    return true;
  end;
  $$;

revoke execute on function public.record_session_wa_version(uuid, text, bigint, text) from public, anon, authenticated;
grant execute on function public.record_session_wa_version(uuid, text, bigint, text) to service_role;
