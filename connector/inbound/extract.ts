// Turns a Baileys message (messages.upsert, type notify) into an inbound_messages row, or null when it is
// not stored. Stored: every 1:1 chat message from a contact, and (from_me = true) what the account owner
// typed on the phone or another linked device. Skipped: groups, status broadcasts, broadcast lists,
// newsletters (this product is 1:1 CRM messaging), protocol-only stanzas (receipts, key distribution,
// edits/deletes as protocolMessage) and messages without content (undecryptable stubs).
import {
  BufferJSON, getContentType, isJidBroadcast, isJidGroup, isJidNewsletter, isJidStatusBroadcast, isLidUser,
  jidDecode, jidNormalizedUser, normalizeMessageContent, type WAMessage,
} from '@whiskeysockets/baileys';
import type { InboundRow } from '../store/index.ts';
import { phoneOfJid } from './identity.ts';

const RAW_LIMIT = 200_000;
const SKIPPED_TYPES = new Set(['protocolMessage', 'senderKeyDistributionMessage', 'messageContextInfo']);

const toNumber = (value: unknown): number => {
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

export function extractInbound(msg: WAMessage, session: { id: string; userId: string; ownJid: string | null }): InboundRow | null {
  const key = msg.key;
  const remote = key.remoteJid;
  if (!remote || !key.id) return null;
  if (isJidGroup(remote) || isJidStatusBroadcast(remote) || isJidBroadcast(remote) || isJidNewsletter(remote)) return null;
  const content = normalizeMessageContent(msg.message);
  const type = content ? getContentType(content) : undefined;
  if (!content || !type || SKIPPED_TYPES.has(type)) return null;

  // Prefer the phone-number jid for the chat; LID-addressed messages carry it as remoteJidAlt.
  const alt = (key as { remoteJidAlt?: string }).remoteJidAlt;
  const chatJid = jidNormalizedUser(isLidUser(remote) && alt ? alt : remote);
  const fromMe = Boolean(key.fromMe);
  const senderJid = fromMe ? (session.ownJid ? jidNormalizedUser(session.ownJid) : null) : chatJid;
  const text = content.conversation ?? content.extendedTextMessage?.text ?? content.imageMessage?.caption
    ?? content.videoMessage?.caption ?? content.documentMessage?.caption ?? null;

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
  };
}
