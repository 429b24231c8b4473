-- Answer the lead you see (issue 15): an outbound row may name its contact (contact_id) instead of a phone number,
-- and a contact whose number WhatsApp hides (LID only) can be written to, reacted to and marked read.
--
-- WhatsApp addresses such a contact by its LID (`<digits>@lid`); Baileys 7 sends to an @lid jid like to a phone
-- jid (rc14 lib/Socket/messages-send.js:L430-437, L587-612: the same relay path, addressed from the account's own
-- LID), but sends to the phone jid are the more reliable ones (Baileys#1950: "If I send it to the PN, it receives
-- it normally"), so the phone is used whenever it is known. So:
--   * outbound_messages.recipient (the phone) may be null when recipient_jid holds the contact's LID jid; every row
--     still has one address (outbound_messages_addressed_check).
--   * insert trigger address_outbound_contact (runs before check_outbound_action: triggers fire by name) resolves a
--     row given contact_id and no recipient: the contact's phone when known, else its LID in recipient_jid. It runs
--     as the caller, so RLS decides which contacts exist: another user's contact, or one of another session, is
--     WL404 contact_not_found (nothing queued). Giving both recipient and contact_id, or contact_id on an action
--     row (actions are addressed by their target), is WL422.
--   * check_outbound_action (the refusals listed in 004300 and 004400, defined only here, with one change): a reaction or read receipt for a message of a
--     number-hidden contact is addressed to the chat's LID jid instead of being refused with recipient_unknown
--     (kept only for a chat that has neither a phone nor a LID).

alter table public.outbound_messages
  alter column recipient drop not null,
  add constraint outbound_messages_addressed_check check (recipient is not null or recipient_jid is not null);

comment on column public.outbound_messages.recipient is
  'The phone number sent to; null when the contact''s number is hidden and the row is addressed to its LID (recipient_jid).';
comment on column public.outbound_messages.recipient_jid is
  'The jid the message went to (phone or LID jid); set at insert to the contact''s LID when only that is known.';

grant insert (contact_id) on table public.outbound_messages to authenticated;

create or replace function public.address_outbound_contact() returns trigger
  language plpgsql
  security invoker
  set search_path to ''
  as $$
  declare
    v_contact public.whatsapp_contacts;
  begin
    if new.contact_id is null then
      return new;
    end if;
    if new.content_type in ('reaction', 'edit', 'revoke', 'read') then
      raise exception 'an action is addressed by its target message, not by contact_id' using errcode = 'WL422';
    end if;
    if new.recipient is not null then
      raise exception 'give either a recipient or a contact_id, not both' using errcode = 'WL422';
    end if;
    select * into v_contact from public.whatsapp_contacts c
     where c.id = new.contact_id and c.session_id = new.session_id;
    if v_contact.id is null then
      raise exception 'no contact % in this session', new.contact_id using errcode = 'WL404', hint = 'contact_not_found';
    end if;
    new.recipient := v_contact.phone_number;
    new.recipient_jid := case when v_contact.phone_number is null then v_contact.lid end;
    return new;
  end;
  $$;

revoke execute on function public.address_outbound_contact() from public, anon, authenticated;

create trigger outbound_messages_address_contact
  before insert on public.outbound_messages
  for each row execute function public.address_outbound_contact();

create or replace function public.check_outbound_action() returns trigger
  language plpgsql
  security definer
  set search_path to ''
  as $$
  declare
    v_out public.outbound_messages;
    v_in public.inbound_messages;
  begin
    if new.quoted_wa_message_id is not null
       and not exists (select 1 from public.inbound_messages i
                        where i.session_id = new.session_id and i.wa_message_id = new.quoted_wa_message_id)
       and not exists (select 1 from public.outbound_messages o
                        where o.session_id = new.session_id and o.wa_message_id = new.quoted_wa_message_id
                          and o.content_type not in ('reaction', 'edit', 'revoke', 'read')) then
      raise exception 'no message % in this session to quote', new.quoted_wa_message_id
        using errcode = 'WL404', hint = 'quoted_not_found';
    end if;
    if new.content_type not in ('reaction', 'edit', 'revoke', 'read') then
      return new;
    end if;
    select * into v_out from public.outbound_messages o
     where o.session_id = new.session_id and o.wa_message_id = new.target_wa_message_id
       and o.content_type not in ('reaction', 'edit', 'revoke', 'read');
    if v_out.id is null then
      select * into v_in from public.inbound_messages i
       where i.session_id = new.session_id and i.wa_message_id = new.target_wa_message_id
       order by i.id limit 1;
      if v_in.id is null then
        raise exception 'no message % in this session', new.target_wa_message_id
          using errcode = 'WL404', hint = 'target_not_found';
      end if;
      if new.content_type = 'read' and v_in.from_me then
        raise exception 'only received messages can be marked read' using errcode = 'WL409', hint = 'not_received';
      end if;
      if new.content_type not in ('reaction', 'read') then
        raise exception 'only messages the CRM sent can be edited or deleted for everyone'
          using errcode = 'WL403', hint = 'not_your_message';
      end if;
      if v_in.sender_phone is null and v_in.chat_jid !~ '^[0-9]{1,24}@lid$' then
        raise exception 'the chat has neither a phone number nor a LID: the % cannot be addressed',
          case new.content_type when 'read' then 'read receipt' else 'reaction' end
          using errcode = 'WL409', hint = 'recipient_unknown';
      end if;
      new.recipient := v_in.sender_phone;
      -- a number-hidden contact is reached at its LID; a read receipt always names the chat as WhatsApp does
      new.recipient_jid := case when new.content_type = 'read' or v_in.sender_phone is null then v_in.chat_jid end;
      return new;
    end if;
    if new.content_type = 'read' then
      raise exception 'only received messages can be marked read' using errcode = 'WL409', hint = 'not_received';
    end if;
    if new.content_type <> 'reaction' then
      if v_out.sent_at is null or v_out.status not in ('sent', 'delivered', 'read') then
        raise exception 'the message has not reached WhatsApp yet (it is %)', v_out.status
          using errcode = 'WL409', hint = 'target_not_sent';
      end if;
      if v_out.deleted_at is not null then
        raise exception 'the message was deleted for everyone' using errcode = 'WL409', hint = 'target_deleted';
      end if;
      if new.content_type = 'edit' and v_out.content_type <> 'text' then
        raise exception 'only text messages can be edited' using errcode = 'WL409', hint = 'not_editable';
      end if;
      if new.content_type = 'edit' and v_out.sent_at < now() - interval '15 minutes' then
        raise exception 'WhatsApp allows an edit within 15 minutes of sending' using errcode = 'WL409', hint = 'edit_window_passed';
      end if;
      if new.content_type = 'revoke' and v_out.sent_at < now() - interval '60 hours' then
        raise exception 'WhatsApp allows a delete for everyone within 2 days and 12 hours of sending'
          using errcode = 'WL409', hint = 'delete_window_passed';
      end if;
    end if;
    new.recipient := v_out.recipient;
    new.recipient_jid := v_out.recipient_jid;
    return new;
  end;
  $$;

revoke execute on function public.check_outbound_action() from public, anon, authenticated;

create trigger outbound_messages_check_action
  before insert on public.outbound_messages
  for each row execute function public.check_outbound_action();
