-- Per-user API rate limits for the `whatsapp` Edge Function.
--
-- Function instances come and go (and several run at once), so the counter lives in Postgres: one
-- row per (user, bucket, fixed window). The function calls consume_api_rate_limit() with the user's
-- JWT; it is SECURITY DEFINER so users never need (or get) any privilege on the table itself.

create table public.api_rate_limits (
  user_id uuid not null references auth.users (id) on delete cascade,
  bucket text not null,
  window_start timestamptz not null,
  hits integer not null default 0,
  primary key (user_id, bucket, window_start),
  constraint api_rate_limits_bucket_check check (bucket ~ '^[a-z][a-z0-9_:.-]{0,63}$'),
  constraint api_rate_limits_hits_check check (hits >= 0)
);

comment on table public.api_rate_limits is
  'Request counters per user, bucket and fixed window. Written only through consume_api_rate_limit().';

alter table public.api_rate_limits enable row level security;
revoke all on table public.api_rate_limits from public, anon, authenticated;
grant all on table public.api_rate_limits to service_role;
-- No policy for anon/authenticated: RLS on with no policy (and no grants) keeps the counters private.

-- Counts one request of the calling user (auth.uid()) in `p_bucket` and says whether it is allowed:
-- at most p_limit requests per fixed window of length p_window. A refused request is counted too, so
-- hammering does not earn a fresh allowance. retry_after_seconds is 0 when allowed, else the seconds
-- until the current window ends (at least 1).
create or replace function public.consume_api_rate_limit(p_bucket text, p_limit integer, p_window interval)
  returns table (allowed boolean, retry_after_seconds integer)
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_user uuid := auth.uid();
    v_window_seconds double precision := extract(epoch from p_window);
    v_start timestamptz;
    v_hits integer;
  begin
    if v_user is null then
      raise exception 'sign in first' using errcode = '42501';
    end if;
    if p_limit is null or p_limit < 1 or v_window_seconds is null or v_window_seconds < 1 then
      raise exception 'rate limit needs a limit >= 1 and a window of at least 1 second' using errcode = 'WL422';
    end if;
    if p_bucket is null or p_bucket !~ '^[a-z][a-z0-9_:.-]{0,63}$' then
      raise exception 'invalid rate limit bucket' using errcode = 'WL422';
    end if;

    v_start := to_timestamp(floor(extract(epoch from now()) / v_window_seconds) * v_window_seconds);

    insert into public.api_rate_limits as r (user_id, bucket, window_start, hits)
    values (v_user, p_bucket, v_start, 1)
    on conflict (user_id, bucket, window_start) do update set hits = r.hits + 1
    returning r.hits into v_hits;

    -- Old windows of this user and bucket are of no use any more (cheap: primary key prefix).
    delete from public.api_rate_limits
     where user_id = v_user and bucket = p_bucket and window_start < v_start;

    allowed := v_hits <= p_limit;
    retry_after_seconds := case when allowed then 0
      else greatest(1, ceil(extract(epoch from (v_start + p_window - now())))::integer) end;
    return next;
  end;
  $$;

revoke execute on function public.consume_api_rate_limit(text, integer, interval) from public, anon;
grant execute on function public.consume_api_rate_limit(text, integer, interval) to authenticated, service_role;
