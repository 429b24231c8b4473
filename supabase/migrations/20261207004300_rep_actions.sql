-- Rep actions (issue 15 item 3): react to a message, edit and delete for everyone a message the CRM sent. Each
-- is an outbound_messages row (content_type 'reaction' | 'edit' | 'revoke', target_wa_message_id = the message
-- it acts on) that the connector claims, sends and retries exactly like a message (same claim, ack, receipts
-- and message.status events); connector/outbound/content.ts maps it to Baileys content (react / edit / delete).
-- The insert trigger refuses what WhatsApp would refuse, before anything is queued, and derives the recipient
-- from the target (the CRM need not, and cannot, name another chat):
--   WL404 target_not_found  no message with that id in this session
--   WL403 not_your_message  an edit or delete of a message the CRM did not send
--   WL409 target_not_sent   the target has not reached WhatsApp yet (nothing to edit or delete)
--   WL409 edit_window_passed / delete_window_passed  WhatsApp's windows: an edit within 15 minutes of the send,
--         a delete for everyone within about 2 days (WhatsApp Help Center: "edit within 15 minutes"; "delete for
--         everyone ... about 2 days")
--   WL409 recipient_unknown  a reaction to a contact whose phone number is hidden (LID only)
-- When the action reaches WhatsApp (status sent) its effect is recorded on the timeline in that transaction:
-- our reaction in message_reactions (from_me; its trigger writes message.updated), an edit in the target's
-- text/previous_texts/edited_at, a delete in its deleted_at; both write message.updated for the target.

alter table public.outbound_messages
  add column target_wa_message_id text,
  add column edited_at timestamptz,
  add column previous_texts jsonb not null default '[]'::jsonb,
  add column deleted_at timestamptz,
  drop constraint outbound_messages_content_type_check,
  drop constraint outbound_messages_text_check,
  drop constraint outbound_messages_media_path_check,
  add constraint outbound_messages_content_type_check
    check (content_type in ('text', 'reaction', 'edit', 'revoke')
           or content_type = any (enum_range(null::public.media_kind)::text[])),
  add constraint outbound_messages_text_check check (
    case content_type
      when 'text' then text is not null and text ~ '[^[:space:]]' and char_length(text) <= 4096
      when 'edit' then text is not null and text ~ '[^[:space:]]' and char_length(text) <= 4096
      -- one emoji (a sequence of code points, e.g. a flag or a family), or '' to remove our reaction
      when 'reaction' then text is not null and char_length(text) <= 16 and text !~ '[[:space:][:alnum:]]'
      when 'revoke' then text is null
      else text is null or char_length(text) <= 1024 end),
  add constraint outbound_messages_media_path_check
    check ((content_type = any (enum_range(null::public.media_kind)::text[])) = (media_path is not null)),
  add constraint outbound_messages_target_check
    check ((content_type in ('reaction', 'edit', 'revoke')) = (target_wa_message_id is not null)
           and char_length(target_wa_message_id) between 1 and 128),
  add constraint outbound_messages_action_quote_check
    check (quoted_wa_message_id is null or content_type not in ('reaction', 'edit', 'revoke')),
  add constraint outbound_messages_previous_texts_check check (jsonb_typeof(previous_texts) = 'array');

comment on column public.outbound_messages.target_wa_message_id is
  'reaction/edit/revoke rows: the WhatsApp id of the message acted on (inbound or one the CRM sent)';

-- The insert trigger outbound_messages_check_action (check_outbound_action, final form in 20261207004500) and
-- the after-update trigger outbound_messages_apply_action (apply_outbound_action, final form in 20261207004400)
-- are made where their functions are defined.

-- message.updated for a message the CRM sent, edited or deleted by a rep: the trigger of 20261207005300.

-- The outbound message as webhooks carry it (message.status, message.updated: a message, an action row, an edit
-- or a deletion): webhook_outbound_message_data, defined in 20261207008010 in its final form (it names the contact,
-- outbound_messages.contact_id of 20261207004500). Its callers (004100, 005300) are plpgsql, resolved at run time.

grant insert (target_wa_message_id) on table public.outbound_messages to authenticated;
