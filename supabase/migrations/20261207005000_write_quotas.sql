-- Write quotas that hold on every path (issue 16 item 9b). Users may insert outbound_messages and
-- session_commands directly through the Data API (a CRM does), so the Edge Function's per-request limit is
-- no boundary: one REST request queued 150 outbound rows, another 50 `connect` commands. These triggers
-- count in the database, for every insert made with a user's (or the anon) token, whichever way it came
-- (REST, RPC, the Edge Function). Trusted writers (the service role, the connector, migrations) are not
-- limited. Over a quota the insert fails with SQLSTATE WL429 (the message names the limit, the hint the
-- quota); the Edge Function answers 429 `quota_exceeded`, PostgREST passes the code on.
--
-- Limits live in write_quotas (service role only), one row per quota:
--   queued_outbound_per_session   messages of one session waiting to be sent (queued or sending)
--   session_commands_per_minute   commands one user may create in any 60 seconds

create table public.write_quotas (
  quota text primary key,
  max_count integer not null,
  constraint write_quotas_quota_check check (quota in ('queued_outbound_per_session', 'session_commands_per_minute')),
  constraint write_quotas_max_count_check check (max_count >= 1)
);

comment on table public.write_quotas is
  'Limits on what user tokens may insert (WL429 over them): queued_outbound_per_session, session_commands_per_minute.';

insert into public.write_quotas (quota, max_count) values
  ('queued_outbound_per_session', 100),
  ('session_commands_per_minute', 30);

alter table public.write_quotas enable row level security;
revoke all on table public.write_quotas from public, anon, authenticated;
grant all on table public.write_quotas to service_role;

create index session_commands_user_created_idx on public.session_commands (user_id, created_at);

-- True for inserts made with a user's or the anon token (the roles PostgREST switches to), also inside
-- SECURITY DEFINER functions such as request_whatsapp_link (the JWT claims stay the caller's).
create or replace function public.is_quota_limited_writer()
  returns boolean
  language sql
  stable
  set search_path to ''
  as $$ select coalesce(auth.role(), '') in ('anon', 'authenticated') $$;

create or replace function public.enforce_outbound_quota()
  returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_max integer;
    v_waiting integer;
  begin
    if not public.is_quota_limited_writer() then
      return new;
    end if;
    select q.max_count into v_max from public.write_quotas q where q.quota = 'queued_outbound_per_session';
    if v_max is null then
      return new;
    end if;
    -- one insert at a time per session, so concurrent requests cannot both take the last place
    perform pg_advisory_xact_lock(hashtextextended('outbound_quota:' || new.session_id::text, 0));
    select count(*) into v_waiting from (
      select 1 from public.outbound_messages m
       where m.session_id = new.session_id and m.status in ('queued', 'sending')
       limit v_max) w;
    if v_waiting >= v_max then
      raise exception 'quota exceeded: at most % messages per session may wait to be sent; try again once some are sent', v_max
        using errcode = 'WL429', hint = 'queued_outbound_per_session';
    end if;
    return new;
  end;
  $$;

create or replace function public.enforce_session_command_quota()
  returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_max integer;
    v_recent integer;
  begin
    if not public.is_quota_limited_writer() then
      return new;
    end if;
    select q.max_count into v_max from public.write_quotas q where q.quota = 'session_commands_per_minute';
    if v_max is null then
      return new;
    end if;
    perform pg_advisory_xact_lock(hashtextextended('command_quota:' || new.user_id::text, 0));
    select count(*) into v_recent from (
      select 1 from public.session_commands c
       where c.user_id = new.user_id and c.created_at > now() - interval '1 minute'
       limit v_max) r;
    if v_recent >= v_max then
      raise exception 'quota exceeded: at most % session commands per minute; try again in a minute', v_max
        using errcode = 'WL429', hint = 'session_commands_per_minute';
    end if;
    return new;
  end;
  $$;

create trigger outbound_messages_enforce_quota
  before insert on public.outbound_messages
  for each row execute function public.enforce_outbound_quota();

create trigger session_commands_enforce_quota
  before insert on public.session_commands
  for each row execute function public.enforce_session_command_quota();

revoke execute on function public.is_quota_limited_writer() from public, anon, authenticated;
revoke execute on function public.enforce_outbound_quota() from public, anon, authenticated;
revoke execute on function public.enforce_session_command_quota() from public, anon, authenticated;
