-- Commands for the connector: connect (link), disconnect, logout, reconnect, pairing_code.
-- Users insert commands for their own sessions; the connector claims, runs and completes them.

create type public.session_command as enum ('connect', 'disconnect', 'logout', 'reconnect', 'pairing_code');
create type public.command_status as enum ('pending', 'running', 'done', 'failed');

create table public.session_commands (
  id bigint generated always as identity primary key,
  session_id uuid not null,
  user_id uuid not null default auth.uid(),
  command public.session_command not null,
  payload jsonb not null default '{}'::jsonb,
  status public.command_status not null default 'pending',
  error text,
  attempts integer not null default 0,
  claimed_by text,
  claim_expires_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  -- The command's user is always the session's user.
  constraint session_commands_session_fkey foreign key (session_id, user_id)
    references public.whatsapp_sessions (id, user_id) on delete cascade,
  constraint session_commands_payload_check
    check (jsonb_typeof(payload) = 'object' and pg_column_size(payload) <= 4096),
  -- The connector reads how to link from here (users may insert commands directly, not only through
  -- request_whatsapp_link): a method it knows, and a phone it can pass to WhatsApp as is.
  constraint session_commands_payload_link_check check (
    coalesce(payload ->> 'method', 'qr') = any (enum_range(null::public.link_method)::text[])
    and (payload -> 'phone' is null or public.is_e164_phone(coalesce(payload ->> 'phone', '')))),
  constraint session_commands_failed_has_error_check check (status <> 'failed' or error is not null),
  constraint session_commands_error_length_check check (char_length(error) <= 1000),
  constraint session_commands_claim_check
    check ((status = 'running') = (claimed_by is not null and claim_expires_at is not null)),
  constraint session_commands_completed_check
    check ((status in ('done', 'failed')) = (completed_at is not null))
);

create index session_commands_claimable_idx on public.session_commands (id)
  where status in ('pending', 'running');
create index session_commands_session_idx on public.session_commands (session_id, id);
create index session_commands_user_idx on public.session_commands (user_id);

create trigger session_commands_set_updated_at
  before update on public.session_commands
  for each row execute function public.set_updated_at();

alter table public.session_commands enable row level security;
revoke all on table public.session_commands from anon, authenticated;
grant select on table public.session_commands to authenticated;
grant insert (session_id, user_id, command, payload) on table public.session_commands to authenticated;
grant all on table public.session_commands to service_role;
-- Identity columns need no sequence privilege; without this revoke the schema's default privileges
-- would let anon read last_value (how many commands exist across all users).
revoke all on sequence public.session_commands_id_seq from anon, authenticated;

create policy "Users can see commands for their own sessions"
  on public.session_commands for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "Users can send commands to their own sessions"
  on public.session_commands for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and exists (select 1 from public.whatsapp_sessions s
                where s.id = session_id and s.user_id = (select auth.uid()))
  );
