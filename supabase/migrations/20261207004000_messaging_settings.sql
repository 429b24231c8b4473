-- Messaging settings per user: configuracion_mensajeria_usuario (the CRM's table name), one row per user
-- and platform, and the webhook signing secret, kept apart so that nothing a browser can read holds it.
--
-- config is a JSON object whose keys are all optional (a missing key means the connector's default):
--   pacing            { min_interval_ms: 0..3600000, jitter_ms: 0..3600000 }   between two sends of a session
--   default_country   "US" (ISO 3166-1 alpha-2) or null                        for numbers written without +
--   history_import    true | false                                              import chat history on link
--   media_max_bytes   1..2147483647                                             media larger than this is refused
--   typing_indicator  true | false                                              "typing…" while a paced send waits
--   webhook           { url: "https://…" | null, enabled: true | false,
--                       events: ["message.received", "message.updated", "message.status", "session.status"] }
-- active = false pauses sending: queued messages of the user wait (the connector does not claim them).

-- Validation ----------------------------------------------------------------------------------------

create or replace function public.webhook_event_types() returns text[]
  language sql immutable parallel safe
  set search_path to ''
  as $$ select array['message.received', 'message.updated', 'message.status', 'session.status'] $$;

-- Readable problems with a messaging config (empty array = valid). Used by the check constraint and by
-- save_messaging_settings, which raises them as WL422.
create or replace function public.messaging_config_problems(p_config jsonb) returns text[]
  language plpgsql immutable parallel safe
  set search_path to ''
  as $$
  declare
    v_problems text[] := '{}'::text[];
    v_key text;
    v_value jsonb;
    v_sub text;
  begin
    if p_config is null or jsonb_typeof(p_config) <> 'object' then
      return array['config must be a JSON object'];
    end if;
    for v_key, v_value in select key, value from jsonb_each(p_config) loop
      case v_key
        when 'pacing' then
          if jsonb_typeof(v_value) <> 'object' then
            v_problems := v_problems || 'pacing must be an object with min_interval_ms and jitter_ms'::text;
          else
            for v_sub in select jsonb_object_keys(v_value) loop
              if v_sub not in ('min_interval_ms', 'jitter_ms') then
                v_problems := v_problems || format('pacing.%s is not a known setting', v_sub);
              elsif jsonb_typeof(v_value -> v_sub) <> 'number' or (v_value ->> v_sub)::numeric <> trunc((v_value ->> v_sub)::numeric)
                    or (v_value ->> v_sub)::numeric not between 0 and 3600000 then
                v_problems := v_problems || format('pacing.%s must be a whole number of milliseconds from 0 to 3600000', v_sub);
              end if;
            end loop;
          end if;
        when 'default_country' then
          if jsonb_typeof(v_value) <> 'null' and (jsonb_typeof(v_value) <> 'string' or (v_value #>> '{}') !~ '^[A-Z]{2}$') then
            v_problems := v_problems || 'default_country must be a two-letter country code such as US or ES, or null'::text;
          end if;
        when 'history_import', 'typing_indicator' then
          if jsonb_typeof(v_value) <> 'boolean' then
            v_problems := v_problems || format('%s must be true or false', v_key);
          end if;
        when 'media_max_bytes' then
          if jsonb_typeof(v_value) <> 'number' or (v_value #>> '{}')::numeric <> trunc((v_value #>> '{}')::numeric)
             or (v_value #>> '{}')::numeric not between 1 and 2147483647 then
            v_problems := v_problems || 'media_max_bytes must be a whole number of bytes from 1 to 2147483647'::text;
          end if;
        when 'webhook' then
          if jsonb_typeof(v_value) <> 'object' then
            v_problems := v_problems || 'webhook must be an object with url, enabled and events'::text;
          else
            for v_sub in select jsonb_object_keys(v_value) loop
              if v_sub not in ('url', 'enabled', 'events') then
                v_problems := v_problems || format('webhook.%s is not a known setting (the secret is set apart, never in config)', v_sub);
              end if;
            end loop;
            if v_value ? 'url' and jsonb_typeof(v_value -> 'url') <> 'null' and (
                 jsonb_typeof(v_value -> 'url') <> 'string' or char_length(v_value ->> 'url') > 2048
                 or (v_value ->> 'url') !~ '^https?://[^[:space:]/?#@]+(/[^[:space:]]*)?$') then
              v_problems := v_problems || 'webhook.url must be an http(s) URL without credentials, at most 2048 characters'::text;
            end if;
            if v_value ? 'enabled' and jsonb_typeof(v_value -> 'enabled') <> 'boolean' then
              v_problems := v_problems || 'webhook.enabled must be true or false'::text;
            end if;
            if v_value ? 'events' and (jsonb_typeof(v_value -> 'events') <> 'array' or exists (
                 select 1 from jsonb_array_elements(v_value -> 'events') e
                  where jsonb_typeof(e) <> 'string' or not (e #>> '{}') = any (public.webhook_event_types()))) then
              v_problems := v_problems || ('webhook.events must be a list of: ' || array_to_string(public.webhook_event_types(), ', '));
            end if;
            if coalesce((v_value ->> 'enabled')::boolean, false) is true and coalesce(v_value ->> 'url', '') = '' then
              v_problems := v_problems || 'webhook.enabled needs webhook.url'::text;
            end if;
          end if;
        else
          v_problems := v_problems || format('%s is not a known setting', v_key);
      end case;
    end loop;
    return v_problems;
  end;
  $$;

-- Settings ------------------------------------------------------------------------------------------
create table public.configuracion_mensajeria_usuario (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  platform text not null default 'whatsapp',
  name text,
  active boolean not null default true,
  config jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint configuracion_mensajeria_usuario_user_platform_key unique (user_id, platform),
  constraint configuracion_mensajeria_usuario_platform_check check (platform in ('whatsapp')),
  constraint configuracion_mensajeria_usuario_name_check check (char_length(name) between 1 and 100),
  constraint configuracion_mensajeria_usuario_config_check
    check (cardinality(public.messaging_config_problems(config)) = 0 and pg_column_size(config) <= 8192)
);

comment on table public.configuracion_mensajeria_usuario is
  'Messaging settings per user and platform (pacing, default country, history import, media cap, typing, webhook). '
  'Missing config keys fall back to the connector''s defaults. active = false pauses sending.';

-- The connector refreshes its cache with "changed since" reads.
create index configuracion_mensajeria_usuario_updated_idx on public.configuracion_mensajeria_usuario (updated_at);

create trigger configuracion_mensajeria_usuario_set_updated_at
  before update on public.configuracion_mensajeria_usuario
  for each row execute function public.set_updated_at();

alter table public.configuracion_mensajeria_usuario enable row level security;
revoke all on table public.configuracion_mensajeria_usuario from public, anon, authenticated;
grant select on table public.configuracion_mensajeria_usuario to authenticated;
grant insert (user_id, platform, name, active, config) on table public.configuracion_mensajeria_usuario to authenticated;
grant update (name, active, config) on table public.configuracion_mensajeria_usuario to authenticated;
grant all on table public.configuracion_mensajeria_usuario to service_role;

create policy "Users can see their own messaging settings"
  on public.configuracion_mensajeria_usuario for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "Users can create their own messaging settings"
  on public.configuracion_mensajeria_usuario for insert to authenticated
  with check ((select auth.uid()) = user_id);

create policy "Users can change their own messaging settings"
  on public.configuracion_mensajeria_usuario for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);

-- Webhook secrets -----------------------------------------------------------------------------------
-- Never readable through the API: RLS on, no policy, no grants. Written by rotate_webhook_secret (which
-- returns it once), read by the connector to sign deliveries.
create table public.messaging_webhook_secrets (
  user_id uuid primary key references auth.users (id) on delete cascade,
  secret text not null,
  created_at timestamptz not null default now(),
  constraint messaging_webhook_secrets_secret_check check (secret ~ '^whsec_[A-Za-z0-9+/]{32,128}={0,2}$')
);

comment on table public.messaging_webhook_secrets is
  'Standard Webhooks signing secret per user (whsec_ + base64). Not readable by anon or authenticated; returned once by rotate_webhook_secret.';

alter table public.messaging_webhook_secrets enable row level security;
revoke all on table public.messaging_webhook_secrets from public, anon, authenticated;
grant all on table public.messaging_webhook_secrets to service_role;

-- User API ------------------------------------------------------------------------------------------

-- Creates or replaces the caller's settings for a platform. Absent values reset to their defaults
-- (name null, active true, config {}). Invalid config: WL422 listing every problem.
create or replace function public.save_messaging_settings(
  p_name text default null, p_active boolean default true, p_config jsonb default '{}'::jsonb,
  p_platform text default 'whatsapp')
  returns public.configuracion_mensajeria_usuario
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_user uuid := auth.uid();
    v_problems text[];
    v_row public.configuracion_mensajeria_usuario;
  begin
    if v_user is null then
      raise exception 'sign in first' using errcode = '42501';
    end if;
    if p_platform is null or p_platform not in ('whatsapp') then
      raise exception 'platform must be whatsapp' using errcode = 'WL422';
    end if;
    if p_name is not null and char_length(p_name) not between 1 and 100 then
      raise exception 'name must be 1 to 100 characters' using errcode = 'WL422';
    end if;
    v_problems := public.messaging_config_problems(coalesce(p_config, '{}'::jsonb));
    if cardinality(v_problems) > 0 then
      raise exception '%', array_to_string(v_problems, '; ') using errcode = 'WL422';
    end if;
    insert into public.configuracion_mensajeria_usuario as s (user_id, platform, name, active, config)
    values (v_user, p_platform, p_name, coalesce(p_active, true), coalesce(p_config, '{}'::jsonb))
    on conflict (user_id, platform) do update
      set name = excluded.name, active = excluded.active, config = excluded.config
    returning * into v_row;
    return v_row;
  end;
  $$;

-- Sets the caller's webhook secret (p_secret, or a new random one when null) and returns it. This is the
-- only time the secret leaves the database for the user.
create or replace function public.rotate_webhook_secret(p_secret text default null)
  returns text
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_user uuid := auth.uid();
    v_secret text := coalesce(p_secret, 'whsec_' || encode(extensions.gen_random_bytes(32), 'base64'));
  begin
    if v_user is null then
      raise exception 'sign in first' using errcode = '42501';
    end if;
    if v_secret !~ '^whsec_[A-Za-z0-9+/]{32,128}={0,2}$' or octet_length(decode(substr(v_secret, 7), 'base64')) < 24 then
      raise exception 'the secret must be whsec_ followed by 24 to 96 random bytes in base64' using errcode = 'WL422';
    end if;
    insert into public.messaging_webhook_secrets as w (user_id, secret) values (v_user, v_secret)
    on conflict (user_id) do update set secret = excluded.secret, created_at = now();
    return v_secret;
  exception when invalid_parameter_value then
    raise exception 'the secret must be whsec_ followed by 24 to 96 random bytes in base64' using errcode = 'WL422';
  end;
  $$;

-- When the caller's webhook secret was set (null: never). Never the secret itself.
create or replace function public.webhook_secret_created_at()
  returns timestamptz
  language sql stable
  security definer
  set search_path to ''
  as $$ select created_at from public.messaging_webhook_secrets where user_id = auth.uid() $$;

revoke execute on function public.webhook_event_types(), public.messaging_config_problems(jsonb) from public, anon;
grant execute on function public.webhook_event_types(), public.messaging_config_problems(jsonb) to authenticated, service_role;
revoke execute on function public.save_messaging_settings(text, boolean, jsonb, text),
  public.rotate_webhook_secret(text), public.webhook_secret_created_at() from public, anon;
grant execute on function public.save_messaging_settings(text, boolean, jsonb, text),
  public.rotate_webhook_secret(text), public.webhook_secret_created_at() to authenticated, service_role;

-- Realtime: the web app and the connector's doorbell watch settings changes.
alter publication supabase_realtime add table public.configuracion_mensajeria_usuario;
