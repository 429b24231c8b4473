-- Lease heartbeats out of whatsapp_sessions (issue 16: keep connector-only churn out of Realtime's decoding).
-- The heartbeat used to write lease_expires_at on every session a connector holds every TTL/3: with
-- 10,000 sessions, 1,000 row updates a second on a table in the supabase_realtime publication, each one
-- decoded by Realtime and RLS-checked for every browser watching the table. Now a connector renews one row
-- of its own (connector_heartbeats, not published), and a session's lease is live while its own expiry
-- (set when it is taken) has not passed or its owner's heartbeat is live:
--   live(s) = s.lease_owner is not null and (s.lease_expires_at > now() or <heartbeat of s.lease_owner live>)
-- Takeover, fencing numbers and release are unchanged (lease_owner, lease_epoch on the session row).
--
-- Redefines renew_session_leases (000500; same signature, return type and grants). Every function that asks
-- whether a lease is live does it through public.session_lease_live, in 20261207007430 (with their final
-- bodies); claim_ready_outbound_messages, in 20261207008000, still spells the rule out.

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

