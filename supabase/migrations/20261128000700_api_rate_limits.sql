-- Per-user API rate limits for the `whatsapp` Edge Function.
--
-- Function instances come and go (and several run at once), so the counter lives in Postgres: one
-- row per (user, bucket, window length, fixed window). Only the function calls consume_api_rate_limit(),
-- with the project's secret (service_role) key, for the user whose JWT it has verified: users can neither
-- call it (issue 16 item 9: a user calling it with a 1-second window deleted their own current window and
-- started the count again) nor read or change the counters.
--
-- Every row knows when its window ends, and rows of ended windows are deleted (this user's at once, anyone
-- else's a batch at a time), so the table holds about one row per active user and bucket whatever windows
-- were used (issue 16 item 11: a '100000 days' window was never pruned). Windows are at most one day.

create table public.api_rate_limits (
  user_id uuid not null references auth.users (id) on delete cascade,
  bucket text not null,
  window_seconds integer not null,
  window_start timestamptz not null,
  window_end timestamptz not null,
  hits integer not null default 0,
  primary key (user_id, bucket, window_seconds, window_start),
  constraint api_rate_limits_bucket_check check (bucket ~ '^[a-z][a-z0-9_:.-]{0,63}$'),
  constraint api_rate_limits_hits_check check (hits >= 0),
  constraint api_rate_limits_window_check check (window_seconds between 1 and 86400
    and window_end = window_start + make_interval(secs => window_seconds))
);

create index api_rate_limits_window_end_idx on public.api_rate_limits (window_end);

comment on table public.api_rate_limits is
  'Request counters per user, bucket and fixed window. Written only through consume_api_rate_limit() (service role).';

alter table public.api_rate_limits enable row level security;
revoke all on table public.api_rate_limits from public, anon, authenticated;
grant all on table public.api_rate_limits to service_role;
-- No policy for anon/authenticated: RLS on with no policy (and no grants) keeps the counters private.

-- Counts one request of p_user in p_bucket and says whether it is allowed: at most p_limit requests per
-- fixed window of p_window_seconds (1 s to 1 day). A refused request is counted too, so hammering does not
-- earn a fresh allowance. retry_after_seconds is 0 when allowed, else the seconds until the window ends
-- (at least 1). Only ended windows are deleted, never a current one (of any length).
create or replace function public.consume_api_rate_limit(p_user uuid, p_bucket text, p_limit integer, p_window_seconds integer)
  returns table (allowed boolean, retry_after_seconds integer)
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_start timestamptz;
    v_end timestamptz;
    v_hits integer;
  begin
    if p_user is null then
      raise exception 'rate limit needs a user' using errcode = 'WL422';
    end if;
    if p_limit is null or p_limit < 1 or p_window_seconds is null or p_window_seconds not between 1 and 86400 then
      raise exception 'rate limit needs a limit >= 1 and a window of 1 to 86400 seconds' using errcode = 'WL422';
    end if;
    if p_bucket is null or p_bucket !~ '^[a-z][a-z0-9_:.-]{0,63}$' then
      raise exception 'invalid rate limit bucket' using errcode = 'WL422';
    end if;

    v_start := to_timestamp(floor(extract(epoch from now()) / p_window_seconds) * p_window_seconds);
    v_end := v_start + make_interval(secs => p_window_seconds);

    insert into public.api_rate_limits as r (user_id, bucket, window_seconds, window_start, window_end, hits)
    values (p_user, p_bucket, p_window_seconds, v_start, v_end, 1)
    on conflict (user_id, bucket, window_seconds, window_start) do update set hits = r.hits + 1
    returning r.hits into v_hits;

    -- Ended windows are of no use any more: this user's (primary key prefix), and a small batch of
    -- anyone's (users who never came back), skipping rows another call is deleting.
    delete from public.api_rate_limits where user_id = p_user and window_end <= now();
    delete from public.api_rate_limits
     where ctid = any (array(select ctid from public.api_rate_limits where window_end <= now()
                             limit 100 for update skip locked));

    allowed := v_hits <= p_limit;
    retry_after_seconds := case when allowed then 0
      else greatest(1, ceil(extract(epoch from (v_end - now())))::integer) end;
    return next;
  end;
  $$;

revoke execute on function public.consume_api_rate_limit(uuid, text, integer, integer) from public, anon, authenticated;
grant execute on function public.consume_api_rate_limit(uuid, text, integer, integer) to service_role;
