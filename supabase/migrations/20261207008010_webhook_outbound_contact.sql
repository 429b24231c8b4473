-- Webhooks name the contact of an outbound message (issue 15): message.status and message.updated for a message
-- the CRM sent carried recipient/recipient_jid only, so for a row addressed to a number-hidden contact (recipient
-- null, its LID in recipient_jid: 20261207004500) the CRM could not tie the event to the contact it wrote to. The
-- payload now has `contact: {id}` (outbound_messages.contact_id; null while no contact row is known), the same place
-- message.received and inbound message.updated carry it (20261207004120: contact.id). Otherwise 004300's body.
-- NOTE for the fold (hardening): this redefines webhook_outbound_message_data of 20261207004300; that body is dead.
create or replace function public.webhook_outbound_message_data(m public.outbound_messages) returns jsonb
  language sql stable
  set search_path to ''
  as $$
    select jsonb_build_object(
      'session_id', m.session_id,
      'message', jsonb_build_object(
        'id', m.id, 'wa_message_id', m.wa_message_id, 'idempotency_key', m.idempotency_key,
        'recipient', m.recipient, 'recipient_jid', m.recipient_jid, 'status', m.status,
        'content_type', m.content_type, 'text', m.text, 'target_wa_message_id', m.target_wa_message_id,
        'edited_at', m.edited_at, 'deleted_at', m.deleted_at,
        'error_code', m.error_code, 'error', m.error,
        'sent_at', m.sent_at, 'delivered_at', m.delivered_at, 'read_at', m.read_at, 'failed_at', m.failed_at),
      'contact', jsonb_build_object('id', m.contact_id))
  $$;
revoke execute on function public.webhook_outbound_message_data(public.outbound_messages) from public, anon, authenticated;
