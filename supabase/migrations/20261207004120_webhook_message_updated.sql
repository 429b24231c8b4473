-- The inbound message as webhooks carry it (message.received, message.updated), with the timeline's fields
-- (migration 20261207001100): a pending placeholder, imported from history, edits and deletions, the contact.
-- The message.updated events themselves (an edit, a delete for everyone, a reaction) are written by the
-- triggers of 20261207005300.

create or replace function public.webhook_inbound_message_data(m public.inbound_messages) returns jsonb
  language sql stable
  set search_path to ''
  as $$
    select jsonb_build_object(
      'session_id', m.session_id,
      'message', jsonb_build_object(
        'id', m.id, 'wa_message_id', m.wa_message_id, 'chat_jid', m.chat_jid, 'from_me', m.from_me,
        'type', m.message_type, 'text', m.text, 'timestamp', m.wa_timestamp, 'received_at', m.received_at,
        'pending', m.pending, 'pending_reason', m.pending_reason, 'imported', m.imported,
        'edited_at', m.edited_at, 'deleted_at', m.deleted_at),
      'contact', jsonb_build_object('id', m.contact_id, 'jid', m.sender_jid, 'phone', m.sender_phone, 'name', m.push_name))
  $$;

revoke execute on function public.webhook_inbound_message_data(public.inbound_messages) from public, anon, authenticated;
