-- WhatsApp sessions: one row per linked (or linking) WhatsApp account of a user.
--
-- Browsers read their own rows (status, QR, phone) and watch them through Realtime. Everything but the
-- link request itself is written by the connector, which holds a session through a lease with a
-- fencing number (lease_epoch): every connector write for a session carries owner and epoch.

-- Shared helpers ------------------------------------------------------------------------------------
create or replace function public.set_updated_at() returns trigger
  language plpgsql
  set search_path to ''
  as $$
  begin
    new.updated_at := now();
    return new;
  end;
  $$;

-- The vocabulary: every status, link method and phone rule is defined here once. `npm run db:types`
-- turns the enums into the TypeScript unions (and `Constants` lists) the connector, the Edge Function
-- and the web app import, and evaluates the is_* predicates below into the status sets they use
-- (ACTIVE_SESSION_STATUSES, TERMINAL_SESSION_STATUSES); nothing re-types them.
create type public.session_status as enum (
  'new', 'connecting', 'qr', 'pairing_code', 'connected', 'reconnecting', 'disconnected',
  'logged_out', 'replaced', 'failed', 'expired', 'passkey_required', 'client_outdated');
comment on type public.session_status is
  'new → connecting → qr | pairing_code → connected ⇄ reconnecting; disconnected (by the user, resumable). '
  'Terminal: logged_out, replaced, failed, expired, passkey_required (WhatsApp wanted a passkey), '
  'client_outdated (405: WhatsApp refused this client version).';
create type public.link_method as enum ('qr', 'pairing_code');

-- Statuses in which a session occupies its user's (and its phone number's) single active slot.
create or replace function public.is_active_session_status(p_status public.session_status) returns boolean
  language sql immutable parallel safe
  set search_path to ''
  as $$ select p_status in ('new', 'connecting', 'qr', 'pairing_code', 'connected', 'reconnecting', 'disconnected') $$;

-- Statuses a session never leaves: the link is over, a new link starts a new session.
create or replace function public.is_terminal_session_status(p_status public.session_status) returns boolean
  language sql immutable parallel safe
  set search_path to ''
  as $$ select not public.is_active_session_status(p_status) $$;

-- The one phone rule of the schema: E.164 with its plus (what WhatsApp numbers are). Parsing what a
-- person types into this form is _shared/phone.ts (libphonenumber-js), used by function and connector.
create or replace function public.is_e164_phone(p_phone text) returns boolean
  language sql immutable parallel safe
  set search_path to ''
  as $$ select p_phone ~ '^\+[1-9][0-9]{6,14}$' $$;

-- Pure helpers: check constraints and policies call them as the caller, and CRMs may too.
grant execute on function
  public.is_active_session_status(public.session_status),
  public.is_terminal_session_status(public.session_status),
  public.is_e164_phone(text)
  to anon, authenticated, service_role;

-- Table ---------------------------------------------------------------------------------------------
create table public.whatsapp_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  status public.session_status not null default 'new',
  link_method public.link_method not null default 'qr',
  pairing_phone text,
  qr text,
  qr_expires_at timestamptz,
  pairing_code text,
  phone_number text,
  wa_jid text,
  wa_lid text,
  push_name text,
  last_error text,
  last_disconnect_code integer,
  reconnect_attempts integer not null default 0,
  connected_at timestamptz,
  disconnected_at timestamptz,
  last_activity_at timestamptz not null default now(),
  lease_owner text,
  lease_epoch bigint not null default 0,
  lease_expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint whatsapp_sessions_id_user_key unique (id, user_id),
  constraint whatsapp_sessions_pairing_phone_check
    check (pairing_phone is null or public.is_e164_phone(pairing_phone)),
  constraint whatsapp_sessions_pairing_needs_phone_check
    check (link_method <> 'pairing_code' or pairing_phone is not null),
  -- A QR is shown exactly while the session waits for a scan, and always with its expiry.
  constraint whatsapp_sessions_qr_check
    check ((status = 'qr') = (qr is not null) and (qr is null) = (qr_expires_at is null)),
  constraint whatsapp_sessions_qr_length_check check (char_length(qr) <= 1024),
  constraint whatsapp_sessions_pairing_code_check
    check ((status = 'pairing_code') = (pairing_code is not null)),
  constraint whatsapp_sessions_phone_number_check
    check (phone_number is null or public.is_e164_phone(phone_number)),
  constraint whatsapp_sessions_connected_check
    check (status <> 'connected' or (phone_number is not null and connected_at is not null)),
  constraint whatsapp_sessions_last_error_length_check check (char_length(last_error) <= 1000),
  constraint whatsapp_sessions_lease_check
    check ((lease_owner is null) = (lease_expires_at is null) and lease_epoch >= 0),
  constraint whatsapp_sessions_reconnect_attempts_check check (reconnect_attempts >= 0)
);

comment on table public.whatsapp_sessions is
  'One row per linked or linking WhatsApp account. Users read their own rows; the connector writes status, QR and lease columns.';
comment on column public.whatsapp_sessions.lease_epoch is
  'Fencing number: increases on every lease acquisition; connector writes must carry the epoch they hold.';

-- One active session per user, one active session per phone number.
create unique index whatsapp_sessions_one_active_per_user
  on public.whatsapp_sessions (user_id) where public.is_active_session_status(status);
create unique index whatsapp_sessions_one_active_per_phone
  on public.whatsapp_sessions (phone_number)
  where phone_number is not null and public.is_active_session_status(status);
-- Sessions a connector should hold a socket for, and whose leases it may take over.
create index whatsapp_sessions_wanted_idx
  on public.whatsapp_sessions (lease_expires_at nulls first)
  where status in ('connecting', 'qr', 'pairing_code', 'connected', 'reconnecting');
create index whatsapp_sessions_lease_owner_idx on public.whatsapp_sessions (lease_owner) where lease_owner is not null;

create trigger whatsapp_sessions_set_updated_at
  before update on public.whatsapp_sessions
  for each row execute function public.set_updated_at();

-- Security ------------------------------------------------------------------------------------------
alter table public.whatsapp_sessions enable row level security;

revoke all on table public.whatsapp_sessions from anon, authenticated;
grant select on table public.whatsapp_sessions to authenticated;
-- Users may only choose how to link; everything else is connector-owned.
grant insert (user_id, link_method, pairing_phone) on table public.whatsapp_sessions to authenticated;
grant delete on table public.whatsapp_sessions to authenticated;
grant all on table public.whatsapp_sessions to service_role;

create policy "Users can see their own WhatsApp sessions"
  on public.whatsapp_sessions for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "Users can start linking a WhatsApp session for themselves"
  on public.whatsapp_sessions for insert to authenticated
  with check ((select auth.uid()) = user_id);

create policy "Users can delete their own finished WhatsApp sessions"
  on public.whatsapp_sessions for delete to authenticated
  using ((select auth.uid()) = user_id and not public.is_active_session_status(status));
