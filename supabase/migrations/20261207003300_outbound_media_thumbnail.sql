-- The preview an outbound photo, video or document carries (WAProto jpegThumbnail): what the contact's phone shows
-- until the file is downloaded. rc14 makes it for photos itself (sharp) and for video only by running an ffmpeg
-- binary, which the connector does not have; the web app draws the first frame of a video in the browser (as
-- WhatsApp Web does) and queues it with the row. The connector sends it as the message's jpegThumbnail.
-- Same rule as inbound_messages.media_thumbnail (20261207003200): a JPEG of at most 64 KiB.
alter table public.outbound_messages
  add column media_thumbnail bytea,
  add constraint outbound_messages_media_thumbnail_check check (
    media_thumbnail is null
    or (content_type in ('image', 'video', 'document') and octet_length(media_thumbnail) between 4 and 65536
        and substring(media_thumbnail from 1 for 3) = '\xffd8ff'::bytea));
comment on column public.outbound_messages.media_thumbnail is
  'A JPEG preview sent with the photo, video or document (at most 64 KiB); the web app makes one for video.';

grant insert (media_thumbnail) on table public.outbound_messages to authenticated;
