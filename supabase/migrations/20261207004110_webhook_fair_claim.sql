-- Webhook claims are fair between users: at most one event per user is in flight at a time, so a slow or
-- hanging CRM endpoint holds one delivery slot (until WEBHOOK_TIMEOUT_MS) and never the other users'
-- deliveries. Per user this also sends events in the order they became due under normal operation (a
-- retry waits its back-off while later events go ahead: order is not guaranteed, ids are).
--
-- Claims are serialized by a transaction-level advisory lock (a claim is one short statement), so two
-- connectors cannot each take a different event of the same user in the same instant.
create or replace function public.claim_webhook_events(p_owner text, p_limit integer, p_ttl interval)
  returns table (id text, user_id uuid, event_type text, data jsonb, occurred_at timestamptz, attempts integer,
                 url text, secret text)
  language plpgsql
  set search_path to ''
  as $$
  begin
    perform pg_advisory_xact_lock(hashtext('public.claim_webhook_events'));
    return query
    with busy as (
      select distinct b.user_id from public.webhook_events b
       where b.status = 'delivering' and b.claim_expires_at >= now()
    ), candidates as (
      select distinct on (e.user_id) e.id, e.next_attempt_at
        from public.webhook_events e
        join public.configuracion_mensajeria_usuario s on s.user_id = e.user_id and s.platform = 'whatsapp'
        join public.messaging_webhook_secrets w on w.user_id = e.user_id
       where ((e.status = 'pending' and e.next_attempt_at <= now())
              or (e.status = 'delivering' and e.claim_expires_at < now()))
         and not exists (select 1 from busy where busy.user_id = e.user_id)
         and coalesce((s.config #>> '{webhook,enabled}')::boolean, false)
         and coalesce(s.config #>> '{webhook,url}', '') <> ''
       order by e.user_id, e.next_attempt_at, e.occurred_at, e.id
    ), due as (
      select c.id from candidates c order by c.next_attempt_at limit p_limit
    ), claimed as (
      update public.webhook_events e
         set status = 'delivering', claimed_by = p_owner, claim_expires_at = now() + p_ttl
        from due where e.id = due.id
      returning e.*
    )
    select c.id, c.user_id, c.event_type, c.data, c.occurred_at, c.attempts,
           s.config #>> '{webhook,url}', w.secret
      from claimed c
      join public.configuracion_mensajeria_usuario s on s.user_id = c.user_id and s.platform = 'whatsapp'
      join public.messaging_webhook_secrets w on w.user_id = c.user_id;
  end;
  $$;

revoke execute on function public.claim_webhook_events(text, integer, interval) from public, anon, authenticated;
grant execute on function public.claim_webhook_events(text, integer, interval) to service_role;
