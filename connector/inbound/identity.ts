// Who a message, a contacts event or a LID mapping is about, as a contact sighting (LID-first). Only 1:1
// users: phone JIDs (`<pn>@s.whatsapp.net`) and LIDs (`<lid>@lid`), device suffixes dropped.
import { isLidUser, isPnUser, jidDecode, toNumber, type Chat, type Contact, type LIDMapping, type WAMessageKey } from '@whiskeysockets/baileys';
import { isE164 } from '../../supabase/functions/_shared/phone.ts';
import type { ContactSighting, HistoryChat, PhoneSource } from '../store/index.ts';

/** E.164 of a phone JID, or null (a LID, a group, a malformed user). */
export function phoneOfJid(jid: string | null | undefined): string | null {
  if (!jid || !isPnUser(jid)) return null;
  const user = jidDecode(jid)?.user;
  return user && isE164(`+${user}`) ? `+${user}` : null;
}

/** `<lid>@lid` of a LID JID, or null. */
export function lidOfJid(jid: string | null | undefined): string | null {
  if (!jid || !isLidUser(jid)) return null;
  const user = jidDecode(jid)?.user;
  return user && /^[0-9]{1,24}$/.test(user) ? `${user}@lid` : null;
}

type KeyWithAlt = WAMessageKey & { remoteJidAlt?: string; remoteJidUsername?: string };

/** The chat partner of a 1:1 message: remoteJid plus its alternative form (remoteJidAlt, the sender_pn). */
export function sightingFromKey(key: WAMessageKey, pushName: string | null | undefined): ContactSighting | null {
  const k = key as KeyWithAlt;
  const lid = lidOfJid(k.remoteJid) ?? lidOfJid(k.remoteJidAlt);
  const phone = phoneOfJid(k.remoteJid) ?? phoneOfJid(k.remoteJidAlt);
  if (!lid && !phone) return null;
  return {
    lid, phone, phoneSource: phone ? 'message' : null,
    // On our own messages pushName is the account owner's name, not the contact's.
    pushName: k.fromMe ? null : pushName ?? null,
    username: k.remoteJidUsername ?? null,
    seen: true,
  };
}

/** contacts.upsert / contacts.update (and the history sync's contacts). */
export function sightingFromContact(contact: Partial<Contact>): ContactSighting | null {
  const lid = lidOfJid(contact.id) ?? lidOfJid(contact.lid);
  const phone = phoneOfJid(contact.id) ?? phoneOfJid(contact.phoneNumber);
  if (!lid && !phone) return null;
  return {
    lid, phone, phoneSource: phone ? 'contact_sync' : null,
    pushName: contact.notify ?? null, savedName: contact.name ?? null, username: contact.username ?? null,
  };
}

/** A LID↔phone pair (lid-mapping.update, the history sync's lidPnMappings). Either order is accepted. */
export function sightingFromMapping(mapping: LIDMapping, source: PhoneSource): ContactSighting | null {
  const lid = lidOfJid(mapping.lid) ?? lidOfJid(mapping.pn);
  const phone = phoneOfJid(mapping.pn) ?? phoneOfJid(mapping.lid);
  if (!lid || !phone) return null;
  return { lid, phone, phoneSource: source };
}

/** A 1:1 conversation of a history sync (its id is the LID or the phone JID; pnJid/lidJid the other form), or null. */
export function historyChatOf(chat: Chat): HistoryChat | null {
  const lid = lidOfJid(chat.id) ?? lidOfJid(chat.lidJid);
  const phone = phoneOfJid(chat.id) ?? phoneOfJid(chat.pnJid);
  if (!lid && !phone) return null;
  const seconds = toNumber(chat.conversationTimestamp ?? chat.lastMsgTimestamp ?? 0);
  return { lid, phone, at: seconds > 0 ? new Date(seconds * 1000).toISOString() : null };
}
