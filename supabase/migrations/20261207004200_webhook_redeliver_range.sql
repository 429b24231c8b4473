-- The delivery log's order: seq numbers events as they are written, so a page cursor is one integer (an
-- occurred_at cursor needs exact microsecond equality, which clients that bind timestamps as JS Dates lose).
alter table public.webhook_events add column seq bigint generated always as identity;
create unique index webhook_events_user_seq_idx on public.webhook_events (user_id, seq desc);
revoke all on sequence public.webhook_events_seq_seq from public, anon, authenticated;

-- Redelivering a range of the caller's webhook events (the delivery log's "redeliver the dead ones since …"),
-- alongside redeliver_webhook_event for one. Same rule as for one event: only delivered or dead events are
-- queued again (same id, a new round of attempts); pending and in-flight ones are delivered anyway.
--
-- p_ids: these events (unknown ids, someone else's and in-flight ones are skipped); otherwise every
-- event of the caller matching p_status (null: delivered and dead), p_event_type and occurred_at in
-- [p_since, p_until). Oldest first, at most p_limit (default 100). Returns the ids queued.
-- WL422: a limit outside 1..1000, a status other than delivered/dead, p_since after p_until, or more ids
-- than the limit.
create or replace function public.redeliver_webhook_events(
  p_ids text[] default null, p_status text default null, p_event_type text default null,
  p_since timestamptz default null, p_until timestamptz default null, p_limit integer default 100)
  returns setof text
  language plpgsql
  security definer
  set search_path to ''
  as $$
  begin
    if auth.uid() is null then
      raise exception 'sign in first' using errcode = '42501';
    end if;
    if p_limit is null or p_limit < 1 or p_limit > 1000 then
      raise exception 'limit must be between 1 and 1000' using errcode = 'WL422';
    end if;
    if p_status is not null and p_status not in ('delivered', 'dead') then
      raise exception 'only delivered or dead events can be redelivered, not %', p_status using errcode = 'WL422';
    end if;
    if p_since is not null and p_until is not null and p_since > p_until then
      raise exception 'since is after until' using errcode = 'WL422';
    end if;
    if cardinality(p_ids) > p_limit then
      raise exception 'more ids than the limit (%)', p_limit using errcode = 'WL422';
    end if;
    return query
    with picked as (
      select e.id from public.webhook_events e
       where e.user_id = auth.uid()
         and e.status in ('delivered', 'dead')
         and (p_ids is null or e.id = any (p_ids))
         and (p_status is null or e.status = p_status)
         and (p_event_type is null or e.event_type = p_event_type)
         and (p_since is null or e.occurred_at >= p_since)
         and (p_until is null or e.occurred_at < p_until)
       order by e.occurred_at, e.id
       limit p_limit
       for update skip locked
    ), queued as (
      update public.webhook_events e
         set status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = null, dead_at = null
        from picked where e.id = picked.id
      returning e.id, e.occurred_at
    )
    select q.id from queued q order by q.occurred_at, q.id;
    if found then
      perform pg_notify('webhook_events', '');
    end if;
  end;
  $$;

revoke execute on function public.redeliver_webhook_events(text[], text, text, timestamptz, timestamptz, integer)
  from public, anon, authenticated;
grant execute on function public.redeliver_webhook_events(text[], text, text, timestamptz, timestamptz, integer)
  to authenticated, service_role;
