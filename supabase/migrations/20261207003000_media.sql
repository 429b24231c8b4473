-- Media both ways through Supabase Storage (issue 14 parts 2-3).
-- Files live in the private bucket `whatsapp-media`; rows carry the object path and metadata, never bytes.
--   inbound:  <user_id>/<session_id>/<wa_message_id>.<ext>, written by the connector (secret key) on arrival
--   outbound: any object the user uploaded into their own folder <user_id>/...
-- Users reach objects only in their own folder, through RLS on storage.objects (select / signed URLs,
-- upload, overwrite, delete); nobody else's.

-- Vocabulary ----------------------------------------------------------------------------------------
create type public.media_kind as enum ('image', 'video', 'audio', 'voice', 'document', 'sticker');
comment on type public.media_kind is
  'voice = a voice note (an audio message with ptt, WhatsApp''s push-to-talk); audio = any other audio file.';

create type public.media_state as enum ('pending', 'stored', 'too_large', 'failed', 'expired', 'disabled');
comment on type public.media_state is
  'pending: not downloaded yet (or retrying); stored: in Storage at media_path; too_large: over the size cap, '
  'metadata kept; failed: download or hash check failed for good; expired: WhatsApp no longer has the file and the '
  'phone could not upload it again; disabled: the connector holding the session keeps no media (MEDIA=disabled), '
  'metadata kept and never downloaded later.';

-- What WhatsApp accepts per kind: MIME types (base type, no parameters) and sizes. The API and the
-- connector read this table; the outbound trigger below enforces it. Limits follow WhatsApp's published
-- media limits (images/video/audio 16 MB, documents 100 MB, stickers 500 KB).
create table public.whatsapp_media_rules (
  kind public.media_kind not null,
  mime_type text not null,
  extension text not null,
  max_bytes bigint not null,
  primary key (kind, mime_type),
  constraint whatsapp_media_rules_mime_check check (mime_type ~ '^[a-z0-9.+-]+/[a-z0-9.+-]+$'),
  constraint whatsapp_media_rules_size_check check (max_bytes > 0)
);
comment on table public.whatsapp_media_rules is 'Media types and sizes WhatsApp accepts for outbound media (base MIME type, no parameters).';

insert into public.whatsapp_media_rules (kind, mime_type, extension, max_bytes) values
  ('image', 'image/jpeg', 'jpg', 16777216),
  ('image', 'image/png', 'png', 16777216),
  ('video', 'video/mp4', 'mp4', 16777216),
  ('video', 'video/3gpp', '3gp', 16777216),
  ('audio', 'audio/mpeg', 'mp3', 16777216),
  ('audio', 'audio/mp4', 'm4a', 16777216),
  ('audio', 'audio/aac', 'aac', 16777216),
  ('audio', 'audio/ogg', 'ogg', 16777216),
  ('audio', 'audio/amr', 'amr', 16777216),
  ('voice', 'audio/ogg', 'ogg', 16777216),
  ('document', 'application/pdf', 'pdf', 104857600),
  ('document', 'application/msword', 'doc', 104857600),
  ('document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx', 104857600),
  ('document', 'application/vnd.ms-excel', 'xls', 104857600),
  ('document', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx', 104857600),
  ('document', 'application/vnd.ms-powerpoint', 'ppt', 104857600),
  ('document', 'application/vnd.openxmlformats-officedocument.presentationml.presentation', 'pptx', 104857600),
  ('document', 'text/plain', 'txt', 104857600),
  ('document', 'text/csv', 'csv', 104857600),
  ('sticker', 'image/webp', 'webp', 512000);

alter table public.whatsapp_media_rules enable row level security;
revoke all on table public.whatsapp_media_rules from public, anon, authenticated;
grant select on table public.whatsapp_media_rules to authenticated;
grant all on table public.whatsapp_media_rules to service_role;
create policy "Signed-in users can read the media rules"
  on public.whatsapp_media_rules for select to authenticated using (true);

-- The bucket and its policies -----------------------------------------------------------------------
insert into storage.buckets (id, name, public, file_size_limit)
values ('whatsapp-media', 'whatsapp-media', false, 104857600)
on conflict (id) do update set public = false, file_size_limit = excluded.file_size_limit;

create policy "Users can read WhatsApp media in their own folder"
  on storage.objects for select to authenticated
  using (bucket_id = 'whatsapp-media' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "Users can upload WhatsApp media into their own folder"
  on storage.objects for insert to authenticated
  with check (bucket_id = 'whatsapp-media' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "Users can replace WhatsApp media in their own folder"
  on storage.objects for update to authenticated
  using (bucket_id = 'whatsapp-media' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'whatsapp-media' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "Users can delete WhatsApp media in their own folder"
  on storage.objects for delete to authenticated
  using (bucket_id = 'whatsapp-media' and (storage.foldername(name))[1] = (select auth.uid())::text);

-- Inbound media -------------------------------------------------------------------------------------
-- The caption stays in `text`. media_source is what the connector needs to download (direct path, keys,
-- hashes: the same facts `raw` carries); media_attempts .. media_claim_expires_at are its download queue.
alter table public.inbound_messages
  add column media_kind public.media_kind,
  add column media_state public.media_state,
  add column media_path text,
  add column media_mime_type text,
  add column media_size_bytes bigint,
  add column media_duration_seconds integer,
  add column media_width integer,
  add column media_height integer,
  add column media_file_name text,
  add column media_error text,
  add column media_stored_at timestamptz,
  add column media_source jsonb,
  add column media_attempts integer not null default 0,
  add column media_next_attempt_at timestamptz,
  add column media_claimed_by text,
  add column media_claim_expires_at timestamptz,
  add constraint inbound_messages_media_check check ((media_kind is null) = (media_state is null)),
  add constraint inbound_messages_media_stored_check
    check ((media_state = 'stored') = (media_path is not null and media_stored_at is not null)),
  add constraint inbound_messages_media_path_check check (
    media_path is null
    or media_path = user_id::text || '/' || session_id::text || '/' || storage.filename(media_path)),
  add constraint inbound_messages_media_size_check check (media_size_bytes is null or media_size_bytes >= 0),
  add constraint inbound_messages_media_text_check check (
    char_length(media_mime_type) <= 255 and char_length(media_file_name) <= 1024 and char_length(media_error) <= 1000),
  add constraint inbound_messages_media_claim_check
    check ((media_claimed_by is null) = (media_claim_expires_at is null));

comment on column public.inbound_messages.media_path is
  'Object in the private bucket whatsapp-media (<user_id>/<session_id>/<wa_message_id>.<ext>) once media_state = stored.';

create index inbound_messages_media_due_idx on public.inbound_messages (media_next_attempt_at)
  where media_state = 'pending';

-- Connector transitions for inbound media (service role only) --------------------------------------
-- Due downloads of the sessions this connector holds; a claim that lapsed (crash) is taken again.
create or replace function public.claim_inbound_media(p_owner text, p_session_ids uuid[], p_limit integer, p_ttl interval)
  returns table (id bigint, session_id uuid, user_id uuid, wa_message_id text, media_kind public.media_kind,
                 media_mime_type text, media_size_bytes bigint, media_file_name text, media_source jsonb, media_attempts integer)
  language sql
  set search_path to ''
  as $$
    with picked as (
      select m.id from public.inbound_messages m
      where m.media_state = 'pending' and m.session_id = any (p_session_ids)
        and m.media_next_attempt_at <= now()
        and (m.media_claim_expires_at is null or m.media_claim_expires_at < now())
      order by m.media_next_attempt_at, m.id
      limit p_limit
      for update skip locked
    )
    update public.inbound_messages m
       set media_claimed_by = p_owner, media_claim_expires_at = now() + p_ttl, media_attempts = m.media_attempts + 1
      from picked where m.id = picked.id
    returning m.id, m.session_id, m.user_id, m.wa_message_id, m.media_kind, m.media_mime_type, m.media_size_bytes,
              m.media_file_name, m.media_source, m.media_attempts;
  $$;

-- p_mime_type: what the bytes are (sniffed), which may differ from what the sender declared.
create or replace function public.mark_inbound_media_stored(p_id bigint, p_owner text, p_path text, p_size bigint, p_mime_type text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with done as (
      update public.inbound_messages
         set media_state = 'stored', media_path = p_path, media_size_bytes = p_size, media_stored_at = now(),
             media_mime_type = left(p_mime_type, 255),
             media_error = null, media_claimed_by = null, media_claim_expires_at = null, media_next_attempt_at = null
       where id = p_id and media_state = 'pending' and media_claimed_by = p_owner
      returning 1)
    select exists (select 1 from done);
  $$;

-- A transient failure: try again after p_delay; p_source replaces the download facts (a re-upload's new path).
create or replace function public.retry_inbound_media(p_id bigint, p_owner text, p_delay interval, p_error text, p_source jsonb default null)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with done as (
      update public.inbound_messages
         set media_error = left(p_error, 1000), media_next_attempt_at = now() + p_delay,
             media_source = coalesce(p_source, media_source), media_claimed_by = null, media_claim_expires_at = null
       where id = p_id and media_state = 'pending' and media_claimed_by = p_owner
      returning 1)
    select exists (select 1 from done);
  $$;

create or replace function public.fail_inbound_media(p_id bigint, p_owner text, p_state public.media_state, p_error text)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  begin
    if p_state not in ('failed', 'expired', 'too_large') then
      raise exception 'fail_inbound_media: % is not a final failure state', p_state using errcode = 'WL422';
    end if;
    update public.inbound_messages
       set media_state = p_state, media_error = left(p_error, 1000), media_claimed_by = null,
           media_claim_expires_at = null, media_next_attempt_at = null
     where id = p_id and media_state = 'pending' and media_claimed_by = p_owner;
    return found;
  end;
  $$;

-- MEDIA=disabled on the connector holding these sessions: downloads still pending (arrived before media was
-- turned off) end as 'disabled' instead of waiting for a download nobody will do. A live claim (a download in
-- progress elsewhere) is left alone; a lapsed one is not.
create or replace function public.disable_inbound_media(p_session_ids uuid[], p_reason text)
  returns integer
  language sql
  set search_path to ''
  as $$
    with done as (
      update public.inbound_messages m
         set media_state = 'disabled', media_error = left(p_reason, 1000), media_next_attempt_at = null,
             media_claimed_by = null, media_claim_expires_at = null
       where m.media_state = 'pending' and m.session_id = any (p_session_ids)
         and (m.media_claim_expires_at is null or m.media_claim_expires_at < now())
      returning 1)
    select count(*)::integer from done;
  $$;

revoke execute on function public.claim_inbound_media(text, uuid[], integer, interval) from public, anon, authenticated;
revoke execute on function public.mark_inbound_media_stored(bigint, text, text, bigint, text) from public, anon, authenticated;
revoke execute on function public.retry_inbound_media(bigint, text, interval, text, jsonb) from public, anon, authenticated;
revoke execute on function public.fail_inbound_media(bigint, text, public.media_state, text) from public, anon, authenticated;
revoke execute on function public.disable_inbound_media(uuid[], text) from public, anon, authenticated;
grant execute on function public.claim_inbound_media(text, uuid[], integer, interval) to service_role;
grant execute on function public.mark_inbound_media_stored(bigint, text, text, bigint, text) to service_role;
grant execute on function public.retry_inbound_media(bigint, text, interval, text, jsonb) to service_role;
grant execute on function public.fail_inbound_media(bigint, text, public.media_state, text) to service_role;
grant execute on function public.disable_inbound_media(uuid[], text) to service_role;

-- Outbound media ------------------------------------------------------------------------------------
-- content_type: 'text' or a media kind. For media, `text` is the optional caption (documents, images, video)
-- and media_path names an object in the user's own folder; the trigger fills media_mime_type and
-- media_size_bytes from the object (Storage's metadata) and refuses what WhatsApp would not take.
alter table public.outbound_messages
  add column media_path text,
  add column media_file_name text,
  add column media_mime_type text,
  add column media_size_bytes bigint,
  add column quoted_wa_message_id text,
  drop constraint outbound_messages_content_type_check,
  drop constraint outbound_messages_text_check,
  add constraint outbound_messages_content_type_check
    check (content_type = 'text' or content_type = any (enum_range(null::public.media_kind)::text[])),
  add constraint outbound_messages_text_check check (
    case when content_type = 'text'
      then text is not null and text ~ '[^[:space:]]' and char_length(text) <= 4096
      else text is null or char_length(text) <= 1024 end),
  add constraint outbound_messages_media_path_check
    check ((content_type = 'text') = (media_path is null)),
  add constraint outbound_messages_media_caption_check
    check (text is null or content_type not in ('audio', 'voice', 'sticker')),
  add constraint outbound_messages_media_file_name_check
    check (media_file_name is null or (content_type = 'document' and char_length(media_file_name) between 1 and 255
           and media_file_name !~ '[/\\[:cntrl:]]')),
  add constraint outbound_messages_quoted_check
    check (quoted_wa_message_id is null or char_length(quoted_wa_message_id) between 1 and 128);

-- Refuses a media row whose object is missing, someone else's, empty, too large or of a type WhatsApp does
-- not take for that kind (each with its own SQLSTATE, mapped to a 4xx code by the API). Runs for every
-- caller: the API, a CRM inserting through the Data API, a backend with the secret key.
create or replace function public.check_outbound_media() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_size bigint;
    v_mime text;
    v_max bigint;
  begin
    if new.content_type = 'text' or new.media_path is null then
      return new; -- the check constraints refuse a media row without a path
    end if;
    if (storage.foldername(new.media_path))[1] is distinct from new.user_id::text then
      raise exception 'media_path must name an object in your own folder (%/...)', new.user_id using errcode = 'WL403';
    end if;
    select (o.metadata ->> 'size')::bigint, lower(split_part(o.metadata ->> 'mimetype', ';', 1))
      into v_size, v_mime
      from storage.objects o where o.bucket_id = 'whatsapp-media' and o.name = new.media_path;
    if not found then
      raise exception 'no object % in the whatsapp-media bucket: upload the file first', new.media_path using errcode = 'WL404';
    end if;
    if coalesce(v_size, 0) = 0 then
      raise exception 'the file % is empty', new.media_path using errcode = 'WL411';
    end if;
    select r.max_bytes into v_max from public.whatsapp_media_rules r
     where r.kind = new.content_type::public.media_kind and r.mime_type = trim(v_mime);
    if not found then
      raise exception 'WhatsApp does not take % as %', coalesce(v_mime, 'a file without a type'), new.content_type
        using errcode = 'WL415';
    end if;
    if v_size > v_max then
      raise exception 'the file is % bytes; WhatsApp takes at most % bytes for %', v_size, v_max, new.content_type
        using errcode = 'WL413';
    end if;
    new.media_size_bytes := v_size;
    new.media_mime_type := trim(v_mime);
    return new;
  end;
  $$;
revoke execute on function public.check_outbound_media() from public, anon, authenticated;

create trigger outbound_messages_check_media
  before insert on public.outbound_messages
  for each row execute function public.check_outbound_media();

-- Users may set what they choose (the file name, the quoted message); size and type come from the object.
grant insert (media_path, media_file_name, quoted_wa_message_id) on table public.outbound_messages to authenticated;
