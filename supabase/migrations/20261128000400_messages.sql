-- Messages: what the CRM wants sent (outbound_messages) and what contacts wrote (inbound_messages).

-- Outbound ------------------------------------------------------------------------------------------
create type public.outbound_status as enum ('queued', 'sending', 'sent', 'delivered', 'read', 'failed');
comment on type public.outbound_status is
  'queued → sending → sent → delivered → read (declared in that order: receipts only move forward), or failed.';

create table public.outbound_messages (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null,
  user_id uuid not null default auth.uid(),
  recipient text not null,
  recipient_jid text,
  content_type text not null default 'text',
  text text,
  idempotency_key text,
  status public.outbound_status not null default 'queued',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  claimed_by text,
  claim_expires_at timestamptz,
  -- Derived from the row id, so a retry after a crash resends the very same WhatsApp message id.
  wa_message_id text not null generated always as ('3EB0' || upper(left(md5(id::text), 20))) stored,
  error_code text,
  error text,
  sent_at timestamptz,
  delivered_at timestamptz,
  read_at timestamptz,
  failed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint outbound_messages_session_fkey foreign key (session_id, user_id)
    references public.whatsapp_sessions (id, user_id) on delete cascade,
  constraint outbound_messages_recipient_check check (
    char_length(recipient) between 1 and 64
    and recipient ~ '^(\+?[0-9][0-9 ().-]*|[0-9]{5,20}@s\.whatsapp\.net)$'),
  constraint outbound_messages_content_type_check check (content_type in ('text')),
  constraint outbound_messages_text_check check (
    content_type <> 'text'
    or (text is not null and text ~ '[^[:space:]]' and char_length(text) <= 4096)),
  constraint outbound_messages_idempotency_key_check
    check (idempotency_key is null or char_length(idempotency_key) between 1 and 200),
  constraint outbound_messages_idempotency_key_unique unique (user_id, idempotency_key),
  constraint outbound_messages_attempts_check check (attempts >= 0),
  constraint outbound_messages_claim_check
    check ((status = 'sending') = (claimed_by is not null and claim_expires_at is not null)),
  constraint outbound_messages_sent_check
    check (status not in ('sent', 'delivered', 'read') or sent_at is not null),
  constraint outbound_messages_failed_check
    check ((status = 'failed') = (failed_at is not null) and (status <> 'failed' or error is not null)),
  constraint outbound_messages_error_length_check
    check (char_length(error) <= 1000 and char_length(error_code) <= 64)
);

create index outbound_messages_claimable_idx on public.outbound_messages (session_id, created_at)
  where status in ('queued', 'sending');
create index outbound_messages_wa_message_id_idx on public.outbound_messages (session_id, wa_message_id);
create index outbound_messages_user_created_idx on public.outbound_messages (user_id, created_at desc);

create trigger outbound_messages_set_updated_at
  before update on public.outbound_messages
  for each row execute function public.set_updated_at();

-- Nothing ever sends or fails a row queued on a finished session (claims take connected sessions only;
-- fail_unsent_messages runs once, when the session ends), so such a row would wait forever. Refuse it
-- with WL409 instead, for every caller (users, a CRM backend with the service role, the connector).
create or replace function public.refuse_outbound_on_finished_session() returns trigger
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_status public.session_status;
  begin
    select s.status into v_status from public.whatsapp_sessions s where s.id = new.session_id;
    if found and not public.is_active_session_status(v_status) then
      raise exception 'the WhatsApp session is %, link WhatsApp again before sending', v_status
        using errcode = 'WL409';
    end if;
    return new;
  end;
  $$;
revoke execute on function public.refuse_outbound_on_finished_session() from public, anon, authenticated;

create trigger outbound_messages_refuse_on_finished_session
  before insert on public.outbound_messages
  for each row execute function public.refuse_outbound_on_finished_session();

alter table public.outbound_messages enable row level security;
revoke all on table public.outbound_messages from anon, authenticated;
grant select on table public.outbound_messages to authenticated;
-- Connector-owned columns (status, WhatsApp id, attempts, claims, timestamps) are not insertable.
grant insert (session_id, user_id, recipient, content_type, text, idempotency_key)
  on table public.outbound_messages to authenticated;
grant all on table public.outbound_messages to service_role;

create policy "Users can see their own outbound messages"
  on public.outbound_messages for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "Users can queue messages on their own sessions"
  on public.outbound_messages for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and exists (select 1 from public.whatsapp_sessions s
                where s.id = session_id and s.user_id = (select auth.uid()))
  );

-- Inbound -------------------------------------------------------------------------------------------
create table public.inbound_messages (
  id bigint generated always as identity primary key,
  session_id uuid not null,
  user_id uuid not null,
  wa_message_id text not null,
  chat_jid text not null,
  sender_jid text,
  sender_phone text,
  push_name text,
  from_me boolean not null default false,
  message_type text not null,
  text text,
  raw jsonb not null default '{}'::jsonb,
  wa_timestamp timestamptz not null,
  received_at timestamptz not null default now(),

  constraint inbound_messages_session_fkey foreign key (session_id, user_id)
    references public.whatsapp_sessions (id, user_id) on delete cascade,
  constraint inbound_messages_wa_message_id_unique unique (session_id, wa_message_id),
  constraint inbound_messages_wa_message_id_check check (char_length(wa_message_id) between 1 and 128),
  constraint inbound_messages_message_type_check check (char_length(message_type) between 1 and 64),
  constraint inbound_messages_chat_jid_check check (char_length(chat_jid) between 1 and 128),
  constraint inbound_messages_text_length_check check (char_length(text) <= 65536),
  constraint inbound_messages_sender_phone_check
    check (sender_phone is null or public.is_e164_phone(sender_phone)),
  constraint inbound_messages_raw_size_check check (pg_column_size(raw) <= 262144)
);

comment on column public.inbound_messages.from_me is
  'true for messages the account owner sent from the phone (or another linked device) to this chat.';

create index inbound_messages_session_received_idx on public.inbound_messages (session_id, received_at desc, id desc);
create index inbound_messages_user_received_idx on public.inbound_messages (user_id, received_at desc, id desc);

alter table public.inbound_messages enable row level security;
revoke all on table public.inbound_messages from anon, authenticated;
grant select on table public.inbound_messages to authenticated;
grant all on table public.inbound_messages to service_role;
revoke all on sequence public.inbound_messages_id_seq from anon, authenticated;

create policy "Users can read messages received on their own sessions"
  on public.inbound_messages for select to authenticated
  using ((select auth.uid()) = user_id);
