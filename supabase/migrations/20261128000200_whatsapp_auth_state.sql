-- Baileys credentials and Signal keys, (session_id, kind, key_id) -> value.
--
-- Only the connector (table owner / service role) ever touches this table. anon and authenticated get
-- no grants and, as a second wall, RLS is on with no policy. Values are encrypted by the connector
-- (AES-256-GCM envelope) when it has a key configured.

create table public.whatsapp_auth_state (
  session_id uuid not null references public.whatsapp_sessions (id) on delete cascade,
  kind text not null,
  key_id text not null default '',
  value bytea not null,
  updated_at timestamptz not null default now(),
  primary key (session_id, kind, key_id),
  constraint whatsapp_auth_state_kind_check check (kind ~ '^[a-z][a-z0-9-]{0,63}$'),
  constraint whatsapp_auth_state_key_id_check check (char_length(key_id) <= 512),
  constraint whatsapp_auth_state_value_size_check check (octet_length(value) <= 1048576)
);

comment on table public.whatsapp_auth_state is
  'Baileys credentials and Signal keys. Connector only: never reachable by anon or authenticated.';

create trigger whatsapp_auth_state_set_updated_at
  before update on public.whatsapp_auth_state
  for each row execute function public.set_updated_at();

alter table public.whatsapp_auth_state enable row level security;
revoke all on table public.whatsapp_auth_state from public, anon, authenticated;
grant all on table public.whatsapp_auth_state to service_role;
