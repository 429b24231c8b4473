-- Connector: a receipt also settles a row that waits for its retry.
--
-- A row goes back to 'queued' when its socket closed before WhatsApp's ack arrived, although WhatsApp
-- may have had it all along. The delivery receipt then proves it: record_outbound_receipt used to
-- ignore queued rows, so the retry sent the same WhatsApp id a second time. Only rows that were tried
-- (attempts > 0) can have a receipt: WhatsApp ids derive from row ids and are unknown before a send.
create or replace function public.record_outbound_receipt(p_session_id uuid, p_wa_message_id text, p_status text)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_rank constant jsonb := '{"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}'::jsonb;
  begin
    if p_status not in ('delivered', 'read') then
      raise exception 'receipt status must be delivered or read, not %', p_status using errcode = '22023';
    end if;
    update public.outbound_messages
       set status = p_status,
           sent_at = coalesce(sent_at, now()),
           delivered_at = coalesce(delivered_at, now()),
           read_at = case when p_status = 'read' then coalesce(read_at, now()) else read_at end,
           claimed_by = null, claim_expires_at = null, error_code = null, error = null
     where session_id = p_session_id and wa_message_id = p_wa_message_id
       and (status in ('sending', 'sent', 'delivered', 'read') or (status = 'queued' and attempts > 0))
       and (v_rank ->> status)::int < (v_rank ->> p_status)::int;
    return found;
  end;
  $$;
