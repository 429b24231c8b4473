-- Throughput (issue 16): the connector records many sends and receipts in one statement instead of one
-- round trip per message. The single-row functions (mark_outbound_sent, record_outbound_receipt) are the
-- one-element case of these, so each transition is defined once.

-- Rows WhatsApp acked: 'sent', claim released. Only rows still claimed by p_owner and 'sending' move;
-- returns the ids that did (a row another connector took over, or a receipt already moved, is left alone).
create or replace function public.mark_outbound_messages_sent(
  p_owner text, p_message_ids uuid[], p_recipient_jids text[])
  returns setof uuid
  language sql
  set search_path to ''
  as $$
    update public.outbound_messages m
       set status = 'sent', sent_at = now(), recipient_jid = x.recipient_jid,
           claimed_by = null, claim_expires_at = null, error_code = null, error = null
      from unnest(p_message_ids, p_recipient_jids) as x(id, recipient_jid)
     where m.id = x.id and m.claimed_by = p_owner and m.status = 'sending'
    returning m.id
  $$;

create or replace function public.mark_outbound_sent(p_message_id uuid, p_owner text, p_recipient_jid text)
  returns boolean
  language sql
  set search_path to ''
  as $$
    select exists (select 1 from public.mark_outbound_messages_sent(p_owner, array[p_message_id], array[p_recipient_jid]))
  $$;

-- Delivery and read receipts (session, WhatsApp id, status). Status only moves forward (outbound_status is
-- declared in that order): sent -> delivered -> read. A receipt also settles a row that waits for its retry: a row goes back to
-- 'queued' when its socket closed before WhatsApp's ack arrived, although WhatsApp may have had it all
-- along, and the receipt proves it (the retry would send the same WhatsApp id again). Only rows that
-- were tried (attempts > 0) can have a receipt: WhatsApp ids derive from row ids and are unknown before.
-- A message listed twice takes its furthest status. Returns how many rows moved.
create or replace function public.record_outbound_receipts(
  p_session_ids uuid[], p_wa_message_ids text[], p_statuses public.outbound_status[])
  returns integer
  language plpgsql
  set search_path to ''
  as $$
  declare
    moved integer;
  begin
    if cardinality(p_session_ids) is distinct from cardinality(p_wa_message_ids)
       or cardinality(p_wa_message_ids) is distinct from cardinality(p_statuses) then
      raise exception 'one session and one status per message id' using errcode = '22023';
    end if;
    if exists (select 1 from unnest(p_statuses) s where s is null or s not in ('delivered', 'read')) then
      raise exception 'receipt status must be delivered or read' using errcode = '22023';
    end if;
    with receipts as (
      select x.session_id, x.wa_message_id, max(x.status) as status
        from unnest(p_session_ids, p_wa_message_ids, p_statuses) as x(session_id, wa_message_id, status)
       group by x.session_id, x.wa_message_id)
    update public.outbound_messages m
       set status = r.status,
           sent_at = coalesce(m.sent_at, now()),
           delivered_at = coalesce(m.delivered_at, now()),
           read_at = case when r.status = 'read' then coalesce(m.read_at, now()) else m.read_at end,
           claimed_by = null, claim_expires_at = null, error_code = null, error = null
      from receipts r
     where m.session_id = r.session_id and m.wa_message_id = r.wa_message_id
       and (m.status in ('sending', 'sent', 'delivered', 'read') or (m.status = 'queued' and m.attempts > 0))
       and m.status < r.status;
    get diagnostics moved = row_count;
    return moved;
  end;
  $$;

create or replace function public.record_outbound_receipt(
  p_session_id uuid, p_wa_message_id text, p_status public.outbound_status)
  returns boolean
  language plpgsql
  set search_path to ''
  as $$
  begin
    if p_status is null or p_status not in ('delivered', 'read') then
      raise exception 'receipt status must be delivered or read, not %', p_status using errcode = '22023';
    end if;
    return public.record_outbound_receipts(array[p_session_id], array[p_wa_message_id], array[p_status]) > 0;
  end;
  $$;

-- The connector's (postgres / service_role) only.
revoke execute on function
  public.mark_outbound_messages_sent(text, uuid[], text[]),
  public.mark_outbound_sent(uuid, text, text),
  public.record_outbound_receipts(uuid[], text[], public.outbound_status[]),
  public.record_outbound_receipt(uuid, text, public.outbound_status)
  from public, anon, authenticated;
grant execute on function
  public.mark_outbound_messages_sent(text, uuid[], text[]),
  public.mark_outbound_sent(uuid, text, text),
  public.record_outbound_receipts(uuid[], text[], public.outbound_status[]),
  public.record_outbound_receipt(uuid, text, public.outbound_status)
  to service_role;
