-- A sent voice note's waveform, readable by its owner, so the web inbox draws it as it does a received one
-- (inbound_messages.media_waveform, 20261207003400). The connector computes it from the audio (media/waveform.ts:
-- rc14 computes none) and sends it as AudioMessage.waveform; until now it lived only inside outbound_sent_content,
-- which no user role reads (it holds media keys). Same rule as the inbound column: 1-256 bars of 0-100.
alter table public.outbound_messages
  add column media_waveform bytea,
  add constraint outbound_messages_media_waveform_check check (
    media_waveform is null
    or (content_type in ('voice', 'audio') and octet_length(media_waveform) between 1 and 256));
comment on column public.outbound_messages.media_waveform is
  'A sent voice note''s waveform as the connector sent it (AudioMessage.waveform: 64 bytes, each a bar of 0-100).';

-- As in 20261207003100, with two changes.
-- 1. A receipt can settle the row first. The contact's phone acks and sends its delivery receipt as soon as the
--    frame arrives, and the connector records receipts as they come (record_outbound_receipts: status delivered,
--    claim cleared), possibly before its own call here returns from the send. The old guard (claimed_by = p_owner,
--    status 'sending') then refused the content: nothing was kept for a retry receipt and the waveform stayed null
--    (connector-media-outbound, under load). A row settled by a receipt (claim cleared, sent/delivered/read) now takes
--    the content if none is kept yet, and never overwrites one that the claim holder kept.
-- 2. A voice or audio row also gets the waveform of what was sent, from the WAProto JSON (bytes as base64, which
--    protobufjs always writes validly: connector/whatsapp/sent-content.ts); a waveform outside the column's rule is
--    left out, never failing the keeping of the content.
create or replace function public.record_outbound_content(p_message_id uuid, p_owner text, p_message jsonb)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  declare
    holding boolean;
    settled boolean;
    waveform bytea;
  begin
    select m.claimed_by = p_owner and m.status = 'sending',
           m.claimed_by is null and m.status in ('sent', 'delivered', 'read')
      into holding, settled
      from public.outbound_messages m where m.id = p_message_id
       for no key update;
    if holding then
      insert into public.outbound_sent_content (message_id, message) values (p_message_id, p_message)
      on conflict (message_id) do update set message = excluded.message, recorded_at = now();
    elsif settled then
      insert into public.outbound_sent_content (message_id, message) values (p_message_id, p_message)
      on conflict (message_id) do nothing;
      if not found then
        return false;
      end if;
    else
      return false;
    end if;
    if jsonb_typeof(p_message #> '{audioMessage,waveform}') = 'string' then
      waveform := decode(p_message #>> '{audioMessage,waveform}', 'base64');
      update public.outbound_messages m set media_waveform = waveform
       where m.id = p_message_id and m.content_type in ('voice', 'audio') and octet_length(waveform) between 1 and 256;
    end if;
    return true;
  end;
  $$;
revoke execute on function public.record_outbound_content(uuid, text, jsonb) from public, anon, authenticated;
grant execute on function public.record_outbound_content(uuid, text, jsonb) to service_role;

-- Voice notes sent before this migration: their kept content has the waveform.
update public.outbound_messages m
   set media_waveform = decode(c.message #>> '{audioMessage,waveform}', 'base64')
  from public.outbound_sent_content c
 where c.message_id = m.id and m.content_type in ('voice', 'audio')
   and jsonb_typeof(c.message #> '{audioMessage,waveform}') = 'string'
   and octet_length(decode(c.message #>> '{audioMessage,waveform}', 'base64')) between 1 and 256;
