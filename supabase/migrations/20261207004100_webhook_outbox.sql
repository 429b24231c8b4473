-- Webhooks to the CRM: an outbox of events written in the same transaction as the change they describe,
-- delivered by the connector (Standard Webhooks signatures), with a per-attempt delivery log.
--
-- Delivery is at least once. Every event has a stable id (webhook_events.id, sent as `webhook-id`) that
-- stays the same on every retry and redelivery, so the CRM deduplicates on it. Message events derive their
-- id from what they describe (a message and, for statuses, the status reached), so the same fact never
-- yields two ids even when the connector records it twice. Order across events is not guaranteed.
--
-- An event is written only when the user's settings (configuracion_mensajeria_usuario.config.webhook) have
-- a URL, are enabled and subscribe to its type at the moment of the change.
--
-- Body sent to the CRM: { "type": <event_type>, "timestamp": <occurred_at>, "data": <data> }. The data
-- shapes are built by the webhook_*_data functions (one place each: the session's below, the messages' in
-- 20261207004120 and 20261207004300; see docs in the README).

-- Outbox ---------------------------------------------------------------------------------------------
create table public.webhook_events (
  id text primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  event_type text not null,
  data jsonb not null,
  occurred_at timestamptz not null default now(),
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  claimed_by text,
  claim_expires_at timestamptz,
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  dead_at timestamptz,
  updated_at timestamptz not null default now(),

  constraint webhook_events_id_check check (id ~ '^evt_[0-9a-f]{32}$'),
  constraint webhook_events_event_type_check check (event_type = any (public.webhook_event_types())),
  constraint webhook_events_status_check check (status in ('pending', 'delivering', 'delivered', 'dead')),
  constraint webhook_events_claim_check
    check ((status = 'delivering') = (claimed_by is not null and claim_expires_at is not null)),
  constraint webhook_events_delivered_check check ((status = 'delivered') = (delivered_at is not null)),
  constraint webhook_events_dead_check check ((status = 'dead') = (dead_at is not null)),
  constraint webhook_events_attempts_check check (attempts >= 0),
  constraint webhook_events_last_error_check check (char_length(last_error) <= 1000)
);

comment on table public.webhook_events is
  'Webhook outbox: one row per event for the user''s CRM (id = the stable webhook-id). status pending → delivering → delivered, '
  'or dead after the connector''s retry bound; redeliver_webhook_event queues it again.';

create index webhook_events_due_idx on public.webhook_events (next_attempt_at) where status in ('pending', 'delivering');
create index webhook_events_user_idx on public.webhook_events (user_id, occurred_at desc);

create trigger webhook_events_set_updated_at
  before update on public.webhook_events
  for each row execute function public.set_updated_at();

-- Delivery log: one row per HTTP attempt (status_code null: no response, see error).
create table public.webhook_deliveries (
  id bigint generated always as identity primary key,
  event_id text not null references public.webhook_events (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  attempt integer not null,
  url text not null,
  status_code integer,
  error text,
  duration_ms integer not null,
  attempted_at timestamptz not null default now(),

  constraint webhook_deliveries_attempt_check check (attempt >= 1),
  constraint webhook_deliveries_status_code_check check (status_code between 100 and 599),
  constraint webhook_deliveries_error_check check (char_length(error) <= 1000),
  constraint webhook_deliveries_duration_check check (duration_ms >= 0)
);

create index webhook_deliveries_event_idx on public.webhook_deliveries (event_id, id);
create index webhook_deliveries_user_idx on public.webhook_deliveries (user_id, attempted_at desc);

alter table public.webhook_events enable row level security;
alter table public.webhook_deliveries enable row level security;
revoke all on table public.webhook_events, public.webhook_deliveries from public, anon, authenticated;
grant select on table public.webhook_events, public.webhook_deliveries to authenticated;
grant all on table public.webhook_events, public.webhook_deliveries to service_role;
revoke all on sequence public.webhook_deliveries_id_seq from public, anon, authenticated;

create policy "Users can see their own webhook events"
  on public.webhook_events for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "Users can see the delivery log of their own webhook events"
  on public.webhook_deliveries for select to authenticated
  using ((select auth.uid()) = user_id);

-- Writing events ------------------------------------------------------------------------------------

-- Queues an event for the user's CRM if their webhook is on and subscribes to the type; returns the event
-- id, or null when nothing was queued. p_source_key names what the event describes: the same key gives the
-- same id (and the second write is a no-op); null gives a fresh id.
create or replace function public.enqueue_webhook_event(p_user_id uuid, p_event_type text, p_source_key text, p_data jsonb)
  returns text
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_webhook jsonb;
    v_id text;
  begin
    select s.config -> 'webhook' into v_webhook
      from public.configuracion_mensajeria_usuario s
     where s.user_id = p_user_id and s.platform = 'whatsapp';
    if v_webhook is null or coalesce((v_webhook ->> 'enabled')::boolean, false) is not true
       or coalesce(v_webhook ->> 'url', '') = ''
       or (v_webhook ? 'events' and not (v_webhook -> 'events') ? p_event_type) then
      return null;
    end if;
    v_id := 'evt_' || case when p_source_key is null then replace(gen_random_uuid()::text, '-', '')
                           else md5(p_event_type || ':' || p_source_key) end;
    insert into public.webhook_events (id, user_id, event_type, data)
    values (v_id, p_user_id, p_event_type, p_data)
    on conflict (id) do nothing;
    if found then
      perform pg_notify('webhook_events', '');
    end if;
    return v_id;
  end;
  $$;

-- webhook_inbound_message_data(inbound_messages) is defined in 20261207004120 (with the timeline's fields) and
-- webhook_outbound_message_data(outbound_messages) in 20261207004300 (rep actions add the last columns it names).

-- No QR or pairing code in a webhook: they are credentials for linking the account.
create or replace function public.webhook_session_data(s public.whatsapp_sessions, p_previous_status public.session_status) returns jsonb
  language sql stable
  set search_path to ''
  as $$
    select jsonb_build_object('session', jsonb_build_object(
      'id', s.id, 'status', s.status, 'previous_status', p_previous_status, 'phone_number', s.phone_number,
      'wa_jid', s.wa_jid, 'last_error', s.last_error, 'last_disconnect_code', s.last_disconnect_code,
      'connected_at', s.connected_at, 'disconnected_at', s.disconnected_at))
  $$;

create or replace function public.inbound_message_webhook() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  begin
    perform public.enqueue_webhook_event(new.user_id, 'message.received', new.session_id || ':' || new.wa_message_id,
      public.webhook_inbound_message_data(new));
    return null;
  end;
  $$;

-- One event per status a message reached. A receipt can overtake the 'sent' write (the ack and the
-- delivery receipt arrive together and the row goes from sending to delivered at once): the statuses it
-- passed over get their events too, each with its own status, so a CRM always sees sent before it counts
-- delivered or read.
create or replace function public.outbound_status_webhook() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_step public.outbound_status;
    v_data jsonb;
  begin
    if new.status = 'failed' then
      perform public.enqueue_webhook_event(new.user_id, 'message.status', new.id || ':failed',
        public.webhook_outbound_message_data(new));
    elsif new.status in ('sent', 'delivered', 'read') then
      v_data := public.webhook_outbound_message_data(new);
      foreach v_step in array array['sent', 'delivered', 'read']::public.outbound_status[] loop
        exit when v_step > new.status;
        continue when old.status in ('sent', 'delivered', 'read') and v_step <= old.status;
        perform public.enqueue_webhook_event(new.user_id, 'message.status', new.id || ':' || v_step,
          jsonb_set(v_data, '{message,status}', to_jsonb(v_step)));
      end loop;
    end if;
    return null;
  end;
  $$;

create or replace function public.session_status_webhook() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  begin
    perform public.enqueue_webhook_event(new.user_id, 'session.status', null, public.webhook_session_data(new, old.status));
    return null;
  end;
  $$;

-- History imported on link (imported = true: the recent chats WhatsApp sends a new link, possibly a year of
-- them) is no message.received: a CRM that answers new messages would answer all of it. It is in the tables
-- for the CRM to read (GET /messages, whatsapp_conversations, imported flag); later edits, deletions and
-- reactions of those messages are changes happening now and do raise message.updated.
create trigger inbound_messages_webhook
  after insert on public.inbound_messages
  for each row when (not new.imported)
  execute function public.inbound_message_webhook();

create trigger outbound_messages_status_webhook
  after update of status on public.outbound_messages
  for each row when (old.status is distinct from new.status)
  execute function public.outbound_status_webhook();

create trigger whatsapp_sessions_status_webhook
  after update of status on public.whatsapp_sessions
  for each row when (old.status is distinct from new.status)
  execute function public.session_status_webhook();

-- Delivery (connector) ------------------------------------------------------------------------------

-- claim_webhook_events(owner, limit, ttl): due events of users whose webhook is on, fair between users, is
-- defined in 20261207004110.

-- Records one attempt of a claimed event: a 2xx delivers it; otherwise it is retried after p_retry_in, or
-- dead when p_retry_in is null (the connector's bound). false: the claim was lost (nothing written).
create or replace function public.record_webhook_attempt(
  p_event_id text, p_owner text, p_url text, p_status_code integer, p_error text, p_duration_ms integer,
  p_retry_in interval)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_event public.webhook_events;
    v_ok boolean := coalesce(p_status_code between 200 and 299, false);
    v_error text := left(p_error, 1000);
  begin
    select * into v_event from public.webhook_events e
     where e.id = p_event_id and e.status = 'delivering' and e.claimed_by = p_owner
       for update;
    if not found then
      return false;
    end if;
    insert into public.webhook_deliveries (event_id, user_id, attempt, url, status_code, error, duration_ms)
    values (p_event_id, v_event.user_id, v_event.attempts + 1, left(p_url, 2048), p_status_code, v_error,
            greatest(p_duration_ms, 0));
    update public.webhook_events e
       set attempts = e.attempts + 1, claimed_by = null, claim_expires_at = null,
           last_status_code = p_status_code, last_error = case when v_ok then null else v_error end,
           status = case when v_ok then 'delivered' when p_retry_in is null then 'dead' else 'pending' end,
           delivered_at = case when v_ok then now() end,
           dead_at = case when not v_ok and p_retry_in is null then now() end,
           next_attempt_at = case when not v_ok and p_retry_in is not null then now() + p_retry_in else e.next_attempt_at end
     where e.id = p_event_id;
    return true;
  end;
  $$;

-- Gives a claimed event back untouched (the connector is stopping before it sent anything).
create or replace function public.return_webhook_event(p_event_id text, p_owner text) returns boolean
  language sql
  set search_path to ''
  as $$
    with returned as (
      update public.webhook_events e set status = 'pending', claimed_by = null, claim_expires_at = null
       where e.id = p_event_id and e.status = 'delivering' and e.claimed_by = p_owner
      returning 1)
    select exists (select 1 from returned)
  $$;

-- Housekeeping: delivered and dead events (and their log) older than p_older_than.
create or replace function public.delete_old_webhook_events(p_older_than interval) returns integer
  language sql
  set search_path to ''
  as $$
    with gone as (
      delete from public.webhook_events e
       where e.status in ('delivered', 'dead') and e.updated_at < now() - p_older_than
      returning 1)
    select count(*)::integer from gone
  $$;

-- User API ------------------------------------------------------------------------------------------

-- Queues one of the caller's delivered or dead events again (same id, a new round of attempts).
-- WL404: no such event of the caller; WL409: it is still pending or being delivered.
create or replace function public.redeliver_webhook_event(p_event_id text)
  returns public.webhook_events
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_event public.webhook_events;
  begin
    if auth.uid() is null then
      raise exception 'sign in first' using errcode = '42501';
    end if;
    select * into v_event from public.webhook_events e
     where e.id = p_event_id and e.user_id = auth.uid()
       for update;
    if not found then
      raise exception 'no webhook event %', coalesce(p_event_id, 'null') using errcode = 'WL404';
    end if;
    if v_event.status not in ('delivered', 'dead') then
      raise exception 'the event is still % and will be delivered without a redelivery', v_event.status using errcode = 'WL409';
    end if;
    update public.webhook_events e
       set status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = null, dead_at = null
     where e.id = p_event_id
    returning * into v_event;
    perform pg_notify('webhook_events', '');
    return v_event;
  end;
  $$;

revoke execute on function public.enqueue_webhook_event(uuid, text, text, jsonb),
  public.webhook_session_data(public.whatsapp_sessions, public.session_status),
  public.inbound_message_webhook(), public.outbound_status_webhook(), public.session_status_webhook(),
  public.record_webhook_attempt(text, text, text, integer, text, integer, interval),
  public.return_webhook_event(text, text), public.delete_old_webhook_events(interval),
  public.redeliver_webhook_event(text)
  from public, anon, authenticated;
grant execute on function public.enqueue_webhook_event(uuid, text, text, jsonb),
  public.record_webhook_attempt(text, text, text, integer, text, integer, interval),
  public.return_webhook_event(text, text), public.delete_old_webhook_events(interval),
  public.redeliver_webhook_event(text)
  to service_role;
grant execute on function public.redeliver_webhook_event(text) to authenticated;
