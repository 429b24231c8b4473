// Turns a Baileys message (messages.upsert, type notify) into an inbound_messages row, or null when it is
// not stored. Stored: every 1:1 chat message from a contact, and (from_me = true) what the account owner
// typed on the phone or another linked device. Skipped: groups, status broadcasts, broadcast lists,
// newsletters (this product is 1:1 CRM messaging), protocol-only stanzas (receipts, key distribution,
// edits/deletes as protocolMessage; reactions, recorded apart: timeline.ts) and messages without content
// (undecryptable stubs), except the placeholder of a message WhatsApp could not deliver ("Message absent
// from node": ad leads), stored as pending until the phone resends it under the same id.
import {
  BufferJSON, getContentType, isJidBroadcast, isJidGroup, isJidNewsletter, isJidStatusBroadcast, isLidUser,
  jidNormalizedUser, normalizeMessageContent, type proto, type WAMessage,
} from '@whiskeysockets/baileys';
import type { InboundRow } from '../store/index.ts';
import { phoneOfJid } from './identity.ts';

const RAW_LIMIT = 200_000;
const SKIPPED_TYPES = new Set(['protocolMessage', 'senderKeyDistributionMessage', 'messageContextInfo', 'reactionMessage']);
/** rc14 Utils/decode-wa-message.js NO_MESSAGE_FOUND_ERROR_TEXT: the stanza carried no <enc> (CTWA ad leads: Baileys PRs #2334, #2287). */
export const ABSENT_FROM_NODE = 'Message absent from node';
const CIPHERTEXT_STUB = 2; // proto.WebMessageInfo.StubType.CIPHERTEXT

/** The text of a message (or a media caption), null when it has none. */
export function textOf(content: proto.IMessage | null | undefined): string | null {
  if (!content) return null;
  return content.conversation ?? content.extendedTextMessage?.text ?? content.imageMessage?.caption
    ?? content.videoMessage?.caption ?? content.documentMessage?.caption ?? null;
}

export const toNumber = (value: unknown): number => {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value) return (value as { toNumber(): number }).toNumber();
  return Number(value ?? 0);
};

/** JSON-safe copy of the message: Buffers as BufferJSON, Longs as numbers, no NUL characters (jsonb rejects them). */
export function toJsonSafe(value: unknown): unknown {
  const text = JSON.stringify(value, function replacer(key, v) {
    const original = (this as Record<string, unknown>)[key];
    if (original && typeof original === 'object' && 'low' in original && 'high' in original && 'unsigned' in original) {
      return toNumber(original);
    }
    if (typeof v === 'bigint') return v.toString();
    return BufferJSON.replacer(key, v);
  });
  return JSON.parse(text.replace(/\\u0000/g, ''));
}

/** The stub rc14 upserts for a message without <enc>, while it asks the phone to resend it (placeholder resend). */
export function isPlaceholder(msg: WAMessage): boolean {
  return !msg.message && msg.messageStubType === CIPHERTEXT_STUB && msg.messageStubParameters?.[0] === ABSENT_FROM_NODE;
}

export function extractInbound(msg: WAMessage, session: { id: string; userId: string; ownJid: string | null }): InboundRow | null {
  const key = msg.key;
  const remote = key.remoteJid;
  if (!remote || !key.id) return null;
  if (isJidGroup(remote) || isJidStatusBroadcast(remote) || isJidBroadcast(remote) || isJidNewsletter(remote)) return null;
  const placeholder = isPlaceholder(msg);
  const content = normalizeMessageContent(msg.message);
  const type = placeholder ? 'placeholder' : content ? getContentType(content) : undefined;
  if (!type || (!placeholder && (!content || SKIPPED_TYPES.has(type)))) return null;

  // Prefer the phone-number jid for the chat; LID-addressed messages carry it as remoteJidAlt.
  const alt = (key as { remoteJidAlt?: string }).remoteJidAlt;
  const chatJid = jidNormalizedUser(isLidUser(remote) && alt ? alt : remote);
  const fromMe = Boolean(key.fromMe);
  const senderJid = fromMe ? (session.ownJid ? jidNormalizedUser(session.ownJid) : null) : chatJid;
  const text = textOf(content);

  let raw = toJsonSafe(msg);
  if (JSON.stringify(raw).length > RAW_LIMIT) raw = { truncated: true, key: toJsonSafe(key), messageType: type };

  const seconds = toNumber(msg.messageTimestamp);
  return {
    session_id: session.id,
    user_id: session.userId,
    wa_message_id: key.id,
    chat_jid: chatJid,
    sender_jid: senderJid,
    sender_phone: phoneOfJid(senderJid),
    contact_id: null,
    push_name: fromMe ? null : (msg.pushName ?? null),
    from_me: fromMe,
    message_type: type,
    text,
    raw,
    wa_timestamp: seconds > 0 ? new Date(seconds * 1000) : new Date(),
    pending: placeholder,
    pending_reason: placeholder ? ABSENT_FROM_NODE : null,
    imported: false,
  };
}
