-- An Idempotency-Key on "mark a conversation read" (issue 15): the Edge Function's rep action routes take the key
-- the send route takes (outbound_messages.idempotency_key, unique per user), so a CRM retrying the POST gets the
-- first row back and nothing is queued twice. The reaction, edit, delete, read and reply routes insert their row
-- themselves; this one queues it inside mark_conversation_read, which now stores the key on the row it inserts
-- (a concurrent retry loses on outbound_messages_idempotency_key_unique, SQLSTATE 23505, and the function answers
-- with the winner's row). Otherwise 20261207004400's body.
-- NOTE for the fold (hardening): this replaces mark_conversation_read(uuid) of 20261207004400; that body is dead.
drop function public.mark_conversation_read(uuid);

create function public.mark_conversation_read(p_contact_id uuid, p_idempotency_key text default null) returns uuid
  language plpgsql
  security invoker
  set search_path to ''
  as $$
  declare
    v_contact public.whatsapp_contacts;
    v_target public.inbound_messages;
    v_id uuid;
  begin
    select * into v_contact from public.whatsapp_contacts c where c.id = p_contact_id;
    if v_contact.id is null then
      raise exception 'no contact %', p_contact_id using errcode = 'WL404', hint = 'contact_not_found';
    end if;
    select * into v_target from public.inbound_messages i
     where i.contact_id = v_contact.id and not i.from_me and i.read_at is null
     order by date_trunc('second', i.wa_timestamp) desc, i.received_at desc, i.id desc limit 1;
    if v_target.id is null then
      return null;
    end if;
    insert into public.outbound_messages (session_id, user_id, recipient, content_type, target_wa_message_id, idempotency_key)
    values (v_target.session_id, v_target.user_id, v_target.sender_phone, 'read', v_target.wa_message_id, p_idempotency_key)
    returning id into v_id;
    return v_id;
  end;
  $$;

comment on function public.mark_conversation_read(uuid, text) is
  'Queues a read receipt for the contact''s unread messages (an outbound ''read'' row, with the caller''s idempotency key if given); null when none is unread.';

revoke execute on function public.mark_conversation_read(uuid, text) from public, anon;
grant execute on function public.mark_conversation_read(uuid, text) to authenticated;
