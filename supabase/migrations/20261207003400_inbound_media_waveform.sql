-- A voice note's waveform as the sender's phone drew it (WAProto AudioMessage.waveform: 64 bars of 0-100, one byte
-- each), kept so the inbox shows the note's shape before (and without) playing it, as WhatsApp does. Its length in
-- seconds is media_duration_seconds (20261207003000). Until now the waveform was only inside `raw`.
-- Same reasoning as media_thumbnail (20261207003200): small, bounded, needed whenever the row is shown.
alter table public.inbound_messages
  add column media_waveform bytea,
  add constraint inbound_messages_media_waveform_check check (
    media_waveform is null
    or (media_kind in ('voice', 'audio') and octet_length(media_waveform) between 1 and 256));
comment on column public.inbound_messages.media_waveform is
  'A voice note''s waveform as WhatsApp sent it (AudioMessage.waveform: typically 64 bytes, each a bar of 0-100).';

-- The connector records it right after storing the message (store_inbound_message), as it does the thumbnail.
-- Returns false when there is no such audio message, or it already has one.
create or replace function public.record_inbound_media_waveform(p_session_id uuid, p_wa_message_id text, p_waveform bytea)
  returns boolean
  language sql
  set search_path to ''
  as $$
    with done as (
      update public.inbound_messages
         set media_waveform = p_waveform
       where session_id = p_session_id and wa_message_id = p_wa_message_id
         and media_kind in ('voice', 'audio') and media_waveform is null
      returning 1)
    select exists (select 1 from done);
  $$;
revoke execute on function public.record_inbound_media_waveform(uuid, text, bytea) from public, anon, authenticated;
grant execute on function public.record_inbound_media_waveform(uuid, text, bytea) to service_role;
