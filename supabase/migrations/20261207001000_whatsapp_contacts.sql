-- WhatsApp contacts: one row per contact per session, LID-first.
--
-- WhatsApp names more and more contacts by a LID (`<digits>@lid`) and shares the phone number only
-- sometimes (the message's sender_pn, a LID mapping learned earlier, the history sync on link, the
-- contacts sync). A contact row exists as soon as either is known; when the other arrives the same row
-- gains it, and two rows that turn out to be one person (a send to a phone number, then a LID-only
-- reply) are merged so every message of that person points at one contact. Inbound and outbound rows
-- point at their contact (contact_id). The connector writes through record_whatsapp_contact only;
-- users and CRMs read their own rows.

create type public.contact_phone_source as enum (
  'message',       -- the message carried it (remoteJidAlt / participantAlt, or a phone JID)
  'lid_mapping',   -- Baileys' LID mapping store (getPNForLID) or its lid-mapping.update event
  'history_sync',  -- the LID↔phone mappings of the history sync sent on link
  'contact_sync',  -- contacts.upsert / contacts.update
  'sent'           -- we sent to this phone number and WhatsApp told us the LID behind it
);
comment on type public.contact_phone_source is 'Where a contact''s phone number came from.';

create table public.whatsapp_contacts (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null,
  user_id uuid not null,
  lid text,
  phone_number text,
  phone_source public.contact_phone_source,
  push_name text,
  saved_name text,
  username text,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint whatsapp_contacts_session_fkey foreign key (session_id, user_id)
    references public.whatsapp_sessions (id, user_id) on delete cascade,
  -- Messages reference (contact_id, session_id): a message never points at another session's contact.
  constraint whatsapp_contacts_id_session_key unique (id, session_id),
  constraint whatsapp_contacts_lid_key unique (session_id, lid),
  constraint whatsapp_contacts_phone_key unique (session_id, phone_number),
  constraint whatsapp_contacts_identity_check check (lid is not null or phone_number is not null),
  constraint whatsapp_contacts_lid_check check (lid ~ '^[0-9]{1,24}@lid$'),
  constraint whatsapp_contacts_phone_number_check check (phone_number is null or public.is_e164_phone(phone_number)),
  constraint whatsapp_contacts_phone_source_check check ((phone_number is null) = (phone_source is null)),
  constraint whatsapp_contacts_names_check check (
    char_length(push_name) <= 256 and char_length(saved_name) <= 256 and char_length(username) <= 128)
);

comment on table public.whatsapp_contacts is
  'One row per WhatsApp contact per session: LID and/or phone number (null while WhatsApp hides it), names, where the phone came from.';
comment on column public.whatsapp_contacts.phone_number is
  'E.164 when known; null means WhatsApp has not shared it (show the push name and "number hidden", never the LID).';

create index whatsapp_contacts_user_idx on public.whatsapp_contacts (user_id, last_seen_at desc);

create trigger whatsapp_contacts_set_updated_at
  before update on public.whatsapp_contacts
  for each row execute function public.set_updated_at();

-- Messages point at their contact ---------------------------------------------------------------------
alter table public.inbound_messages
  add column contact_id uuid,
  add constraint inbound_messages_contact_fkey foreign key (contact_id, session_id)
    references public.whatsapp_contacts (id, session_id) on delete set null (contact_id);
alter table public.outbound_messages
  add column contact_id uuid,
  add constraint outbound_messages_contact_fkey foreign key (contact_id, session_id)
    references public.whatsapp_contacts (id, session_id) on delete set null (contact_id);
create index inbound_messages_contact_idx on public.inbound_messages (contact_id, wa_timestamp desc) where contact_id is not null;
create index outbound_messages_contact_idx on public.outbound_messages (contact_id, created_at desc) where contact_id is not null;

-- The one transition ------------------------------------------------------------------------------------
-- Records what the connector learned about a contact of a session: its LID, its phone number (with where
-- it came from), names. Returns the contact's id. p_seen: a message from or to the contact (moves
-- last_seen_at). Rules:
--  * the LID is the identity when known; a phone number arriving for a known LID is added to its row;
--  * a LID row and a phone row that turn out to be the same person are merged into the phone row (the
--    one a CRM that sent to the number already knows); the LID row's messages move over;
--  * a phone number now shown for another LID moves to that LID (one number, one account);
--  * inbound rows of the contact that lacked the sender's phone get it (sender_phone is what CRMs join on).
-- Serialised per session (advisory lock), so concurrent messages of a new contact create one row.
create or replace function public.record_whatsapp_contact(
  p_session_id uuid, p_lid text, p_phone text, p_phone_source public.contact_phone_source,
  p_push_name text default null, p_saved_name text default null, p_username text default null,
  p_seen boolean default false)
  returns uuid
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_user uuid;
    v_by_lid public.whatsapp_contacts;
    v_by_phone public.whatsapp_contacts;
    v_id uuid;
  begin
    if p_lid is null and p_phone is null then
      raise exception 'a contact needs a LID or a phone number' using errcode = 'WL422';
    end if;
    if p_phone is not null and (p_phone_source is null or not public.is_e164_phone(p_phone)) then
      raise exception 'a contact phone must be E.164 and say where it came from, not %', p_phone using errcode = 'WL422';
    end if;
    select s.user_id into v_user from public.whatsapp_sessions s where s.id = p_session_id;
    if not found then
      raise exception 'session % not found', p_session_id using errcode = 'WL404';
    end if;
    perform pg_advisory_xact_lock(hashtextextended('whatsapp_contacts:' || p_session_id::text, 0));

    if p_lid is not null then
      select * into v_by_lid from public.whatsapp_contacts c where c.session_id = p_session_id and c.lid = p_lid;
    end if;
    if p_phone is not null then
      select * into v_by_phone from public.whatsapp_contacts c where c.session_id = p_session_id and c.phone_number = p_phone;
      -- The number now belongs to another LID: the old row keeps its LID and loses the number.
      if v_by_phone.id is not null and v_by_phone.lid is not null and p_lid is not null and v_by_phone.lid <> p_lid then
        update public.whatsapp_contacts set phone_number = null, phone_source = null where id = v_by_phone.id;
        v_by_phone := null;
      end if;
    end if;

    if v_by_lid.id is not null and v_by_phone.id is not null and v_by_lid.id <> v_by_phone.id then
      update public.inbound_messages set contact_id = v_by_phone.id where contact_id = v_by_lid.id;
      update public.outbound_messages set contact_id = v_by_phone.id where contact_id = v_by_lid.id;
      update public.message_reactions set contact_id = v_by_phone.id where contact_id = v_by_lid.id; -- table: 001100
      delete from public.whatsapp_contacts where id = v_by_lid.id;
      update public.whatsapp_contacts
         set lid = p_lid,
             push_name = coalesce(p_push_name, v_by_lid.push_name, push_name),
             saved_name = coalesce(p_saved_name, v_by_lid.saved_name, saved_name),
             username = coalesce(p_username, v_by_lid.username, username),
             first_seen_at = least(first_seen_at, v_by_lid.first_seen_at),
             last_seen_at = greatest(last_seen_at, v_by_lid.last_seen_at, case when p_seen then now() end)
       where id = v_by_phone.id;
      v_id := v_by_phone.id;
    elsif coalesce(v_by_lid.id, v_by_phone.id) is not null then
      v_id := coalesce(v_by_lid.id, v_by_phone.id);
      update public.whatsapp_contacts c
         set lid = coalesce(c.lid, p_lid),
             phone_source = case when p_phone is not null and c.phone_number is distinct from p_phone
                                 then p_phone_source else c.phone_source end,
             phone_number = coalesce(p_phone, c.phone_number),
             push_name = coalesce(p_push_name, c.push_name),
             saved_name = coalesce(p_saved_name, c.saved_name),
             username = coalesce(p_username, c.username),
             last_seen_at = case when p_seen then now() else c.last_seen_at end
       where c.id = v_id;
    else
      insert into public.whatsapp_contacts (session_id, user_id, lid, phone_number, phone_source, push_name, saved_name, username)
      values (p_session_id, v_user, p_lid, p_phone, case when p_phone is not null then p_phone_source end,
              left(p_push_name, 256), left(p_saved_name, 256), left(p_username, 128))
      returning id into v_id;
    end if;

    if p_phone is not null then
      update public.inbound_messages set sender_phone = p_phone
       where contact_id = v_id and not from_me and sender_phone is null;
    end if;
    return v_id;
  end;
  $$;

revoke execute on function public.record_whatsapp_contact(uuid, text, text, public.contact_phone_source, text, text, text, boolean)
  from public, anon, authenticated;
grant execute on function public.record_whatsapp_contact(uuid, text, text, public.contact_phone_source, text, text, text, boolean)
  to service_role;

-- After a send: the outbound row points at the contact of its recipient (the number we sent to, and the
-- LID WhatsApp uses for it when the connector learned it), so a LID-only reply joins the same contact.
create or replace function public.record_outbound_contact(p_message_id uuid, p_phone text, p_lid text)
  returns uuid
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_session uuid;
    v_contact uuid;
  begin
    select m.session_id into v_session from public.outbound_messages m where m.id = p_message_id;
    if not found then
      raise exception 'outbound message % not found', p_message_id using errcode = 'WL404';
    end if;
    v_contact := public.record_whatsapp_contact(v_session, p_lid, p_phone, 'sent', p_seen => true);
    update public.outbound_messages set contact_id = v_contact where id = p_message_id;
    return v_contact;
  end;
  $$;

revoke execute on function public.record_outbound_contact(uuid, text, text) from public, anon, authenticated;
grant execute on function public.record_outbound_contact(uuid, text, text) to service_role;

-- Security ------------------------------------------------------------------------------------------------
alter table public.whatsapp_contacts enable row level security;
revoke all on table public.whatsapp_contacts from public, anon, authenticated;
grant select on table public.whatsapp_contacts to authenticated;
grant all on table public.whatsapp_contacts to service_role;

create policy "Users can see the contacts of their own WhatsApp sessions"
  on public.whatsapp_contacts for select to authenticated
  using ((select auth.uid()) = user_id);

-- Realtime: a CRM sees a contact appear and its phone number become known.
alter publication supabase_realtime add table public.whatsapp_contacts;
