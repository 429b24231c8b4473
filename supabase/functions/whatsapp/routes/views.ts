// Row -> API shape. Internal columns (leases, claims, user ids) never leave the function.
import { phoneOfJid } from '../../_shared/phone.ts';
import type { ContactRow, ConversationRow } from '../store/contacts.ts';
import type { Json } from '../../_shared/database.types.ts';
import { type InboundRow, type ListedMessage, type OutboundRow, reactionKey, type ReactionsByMessage } from '../store/messages.ts';
import type { SignedUrls } from '../store/media.ts';
import { inboundMedia, outboundMedia, type ThumbnailBudget } from './media-view.ts';
import { isActiveStatus, type CommandRow, type SessionRow } from '../store/sessions.ts';
import type { ConversationView } from '../schemas/conversation.ts';
import type { ListedMessageView, OutboundView } from '../schemas/message.ts';
import type { CommandView, SessionView } from '../schemas/session.ts';

export function toSessionView(row: SessionRow): SessionView {
  return {
    id: row.id,
    status: row.status,
    active: isActiveStatus(row.status),
    link_method: row.link_method,
    phone_number: row.phone_number,
    push_name: row.push_name,
    qr: row.qr !== null && row.qr_expires_at !== null ? { value: row.qr, expires_at: row.qr_expires_at } : null,
    pairing_code: row.pairing_code,
    last_error: row.last_error,
    last_disconnect_code: row.last_disconnect_code,
    connected_at: row.connected_at,
    disconnected_at: row.disconnected_at,
    last_activity_at: row.last_activity_at,
    restricted_until: row.restricted_until,
    restriction_kind: row.restriction_kind,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toCommandView(row: CommandRow): CommandView {
  return {
    id: Number(row.id),
    session_id: row.session_id,
    command: row.command,
    status: row.status,
    error: row.error,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toOutboundView(row: OutboundRow): OutboundView {
  return {
    id: row.id,
    session_id: row.session_id,
    to: row.recipient,
    contact_id: row.contact_id,
    content_type: row.content_type as OutboundView['content_type'],
    text: row.text,
    media_path: row.media_path,
    media_file_name: row.media_file_name,
    media_mime_type: row.media_mime_type,
    media_size_bytes: row.media_size_bytes === null ? null : Number(row.media_size_bytes),
    quoted_wa_message_id: row.quoted_wa_message_id,
    idempotency_key: row.idempotency_key,
    status: row.status,
    attempts: row.attempts,
    wa_message_id: row.wa_message_id,
    error_code: row.error_code,
    error: row.error,
    created_at: row.created_at,
    updated_at: row.updated_at,
    sent_at: row.sent_at,
    delivered_at: row.delivered_at,
    read_at: row.read_at,
    failed_at: row.failed_at,
  };
}

/**
 * The other party of an inbound row under the display rule: the contact's phone when known, else null with
 * number_hidden (and the name), never a LID. On what the owner typed on the phone the sender is the owner,
 * so only the contact or a phone chat JID name the other party.
 */
function inboundParty(row: InboundRow, contact: ContactRow | undefined) {
  const phone = contact?.phone_number ?? (row.from_me ? null : row.sender_phone) ?? phoneOfJid(row.chat_jid);
  const name = contact ? (contact.saved_name ?? contact.push_name) : row.from_me ? null : row.push_name;
  return { contact: phone, contact_id: row.contact_id, contact_name: name, number_hidden: phone === null };
}

/** What a listed message needs besides its row: its contacts and reactions, the page's signed URLs and preview budget. */
export interface ListingContext {
  contacts: Map<string, ContactRow>;
  reactions: ReactionsByMessage;
  signed: SignedUrls;
  budget: ThumbnailBudget;
}

/** previous_texts as the schema writes it: [{ text, replaced_at }], oldest first (anything else is skipped). */
function previousTexts(value: Json): ListedMessageView['previous_texts'] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return [];
    const { text, replaced_at } = entry;
    return typeof replaced_at === 'string' && (typeof text === 'string' || text === null) ? [{ text, replaced_at }] : [];
  });
}

/** The timeline fields both directions share: edits, delete for everyone, reactions. */
function timeline(row: { session_id: string; wa_message_id: string; edited_at: string | null; previous_texts: Json; deleted_at: string | null }, ctx: ListingContext) {
  const reactions = (ctx.reactions.get(reactionKey(row.session_id, row.wa_message_id)) ?? [])
    .map(({ emoji, from_me, reacted_at }) => ({ emoji, from_me, reacted_at }));
  return { edited_at: row.edited_at, previous_texts: previousTexts(row.previous_texts), deleted_at: row.deleted_at, reactions };
}

function inboundView(row: InboundRow, contact: ContactRow | undefined, ctx: ListingContext): ListedMessageView {
  return {
    direction: 'inbound',
    id: String(row.id),
    session_id: row.session_id,
    ...inboundParty(row, contact),
    text: row.text,
    type: row.message_type,
    status: 'received',
    from_me: row.from_me,
    push_name: row.push_name,
    wa_message_id: row.wa_message_id,
    error: null,
    media: inboundMedia(row, ctx.signed, ctx.budget),
    pending: row.pending,
    imported: row.imported,
    ...timeline(row, ctx),
    timestamp: row.received_at,
  };
}

export function toListedView(item: ListedMessage, ctx: ListingContext): ListedMessageView {
  const contact = item.row.contact_id ? ctx.contacts.get(item.row.contact_id) : undefined;
  if (item.direction === 'inbound') return inboundView(item.row, contact, ctx);
  const row = item.row;
  return {
    direction: 'outbound',
    id: row.id,
    session_id: row.session_id,
    contact: row.recipient,
    contact_id: row.contact_id,
    contact_name: contact ? (contact.saved_name ?? contact.push_name) : null,
    number_hidden: row.recipient === null, // addressed to the contact's LID
    text: row.text,
    type: row.content_type,
    status: row.status,
    from_me: true,
    push_name: null,
    wa_message_id: row.wa_message_id,
    error: row.error,
    media: outboundMedia(row, ctx.signed, ctx.budget),
    pending: false,
    imported: false,
    ...timeline(row, ctx),
    timestamp: row.created_at,
  };
}

export function toConversationView(row: ConversationRow): ConversationView {
  return {
    contact_id: row.contact_id!,
    session_id: row.session_id!,
    // the view already applies the rule; a phone it names is E.164 (never a LID)
    phone_number: row.phone_number,
    number_hidden: row.number_hidden ?? row.phone_number === null,
    display_name: row.display_name,
    last_message: {
      text: row.last_message_text, type: row.last_message_type, from_me: row.last_message_from_me,
      pending: row.last_message_pending, at: row.last_message_at,
    },
    unread_count: row.unread_count ?? 0,
    last_activity_at: row.last_activity_at,
  };
}
