-- The preview WhatsApp sends inside an image, video or document message (jpegThumbnail: a small JPEG, typically
-- a few KB), kept so the inbox shows the picture before the file is downloaded, and when it never is (too large,
-- expired, MEDIA=disabled). Until now it was only inside `raw`.
--
-- A column, not a Storage object beside the file: the preview arrives with the message and is needed exactly
-- when the row is shown, so it comes in the same select and the same Realtime change as the row (no signed URL
-- and no second request per preview, nothing to clean up in Storage when the row goes); it is small and
-- bounded here, so rows stay small. The row's RLS (the owner's select) is its access rule.
alter table public.inbound_messages
  add column media_thumbnail bytea,
  add constraint inbound_messages_media_thumbnail_check check (
    media_thumbnail is null
    or (media_kind is not null and octet_length(media_thumbnail) between 4 and 65536
        and substring(media_thumbnail from 1 for 3) = '\xffd8ff'::bytea));
comment on column public.inbound_messages.media_thumbnail is
  'The JPEG preview WhatsApp sent with the media (image, video, document; at most 64 KiB), shown before or without the file.';

-- The connector records the preview right after storing the message (store_inbound_message). Returns false when
-- there is no such media message, or it already has one.
create or replace function public.record_inbound_media_thumbnail(p_session_id uuid, p_wa_message_id text, p_thumbnail bytea)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with done as (
      update public.inbound_messages
         set media_thumbnail = p_thumbnail
       where session_id = p_session_id and wa_message_id = p_wa_message_id
         and media_kind is not null and media_thumbnail is null
      returning 1)
    select exists (select 1 from done);
  $$;
revoke execute on function public.record_inbound_media_thumbnail(uuid, text, bytea) from public, anon, authenticated;
grant execute on function public.record_inbound_media_thumbnail(uuid, text, bytea) to service_role;
