// Who a message is with, by the display rule: the phone number when WhatsApp gave it (with the name beside it
// when there is one), else the name and "number hidden"; never LID digits dressed as a phone number.
import { phoneOfJid } from '../../../../supabase/functions/_shared/e164.ts';
import { formatPhone } from '../../lib/phone.ts';
import type { WhatsappContact } from '../../lib/types.ts';
import type { MessageItem } from './use-messages.ts';

export interface Party {
  phone: string | null;
  name: string | null;
}

/** The other party of a message: its contact when known; on what the owner typed on the phone the sender is the owner. */
export function partyOf(item: MessageItem, contacts: Map<string, WhatsappContact>): Party {
  const contact = item.row.contact_id ? contacts.get(item.row.contact_id) : undefined;
  const name = contact ? (contact.saved_name ?? contact.push_name) : null;
  if (item.direction === 'out') return { phone: item.row.recipient, name };
  const row = item.row;
  const phone = contact?.phone_number ?? (row.from_me ? null : row.sender_phone) ?? phoneOfJid(row.chat_jid);
  return { phone, name: name ?? (row.from_me ? null : row.push_name) };
}

export function partyLabel(party: Party, numberHidden: string): string {
  if (party.phone) return party.name ? `${party.name} · ${formatPhone(party.phone)}` : formatPhone(party.phone);
  return party.name ? `${party.name} · ${numberHidden}` : numberHidden;
}

/** The short form for labels inside a message (a photo's alt text): the name, else the label above. */
export function partyName(party: Party, numberHidden: string): string {
  return party.name ?? partyLabel(party, numberHidden);
}
