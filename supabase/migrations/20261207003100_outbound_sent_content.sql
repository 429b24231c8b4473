-- What the connector sent under a WhatsApp id, for resending it (issue 14): a contact whose phone cannot decrypt a
-- message asks for it again with a retry receipt, and Baileys then resends the same id with the content its
-- getMessage returns. A text row can be rebuilt from its text; a media message cannot (its media key, hashes and
-- CDN path exist only once Baileys has encrypted and uploaded the file), nor a quote's context. Baileys keeps
-- recent sends in memory only, so after a restart or a new socket the resend needs this table.
-- Written by the connector right after sending (record_outbound_content); no user role reaches it.
create table public.outbound_sent_content (
  message_id uuid primary key references public.outbound_messages (id) on delete cascade,
  -- WAProto Message as JSON (bytes base64, longs as numbers): proto.Message.toObject / fromObject
  message jsonb not null,
  recorded_at timestamptz not null default now(),
  constraint outbound_sent_content_message_check check (jsonb_typeof(message) = 'object')
);
comment on table public.outbound_sent_content is
  'The WAProto content the connector sent for an outbound media (or quoting) row: resent on a retry receipt (Baileys getMessage).';

alter table public.outbound_sent_content enable row level security;
revoke all on table public.outbound_sent_content from public, anon, authenticated;
grant all on table public.outbound_sent_content to service_role;

-- Keeps the content of a row this connector is sending (p_owner holds its claim). Returns false when the row is
-- no longer ours (another connector took it over and records its own send).
create or replace function public.record_outbound_content(p_message_id uuid, p_owner text, p_message jsonb)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with kept as (
      insert into public.outbound_sent_content (message_id, message)
      select m.id, p_message from public.outbound_messages m
       where m.id = p_message_id and m.claimed_by = p_owner and m.status = 'sending'
      on conflict (message_id) do update set message = excluded.message, recorded_at = now()
      returning 1)
    select exists (select 1 from kept)
  $$;
revoke execute on function public.record_outbound_content(uuid, text, jsonb) from public, anon, authenticated;
grant execute on function public.record_outbound_content(uuid, text, jsonb) to service_role;
