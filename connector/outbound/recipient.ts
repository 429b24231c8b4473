// Recipient of an outbound row: E.164 and its JID under the project's one phone rule
// (supabase/functions/_shared/phone.ts), with the reason a CRM reads when a row fails. A row for a contact whose
// number WhatsApp hides has no phone: it is addressed to the contact's LID jid (recipient_jid, set by the insert
// trigger address_outbound_contact / check_outbound_action, migration 20261207004500); Baileys 7 sends to it as to a phone jid.
import { parsePhoneNumber, phoneJid } from '../../supabase/functions/_shared/phone.ts';

export type RecipientResult =
  | { ok: true; e164: string; jid: string }
  | { ok: false; code: 'invalid_recipient'; reason: string };

/** e164 null: the contact's number is hidden, `jid` is its LID. */
export type RowRecipientResult =
  | { ok: true; e164: string | null; jid: string }
  | { ok: false; code: 'invalid_recipient'; reason: string };

const LID_JID = /^[0-9]{1,24}@lid$/;

export function normalizeRecipient(raw: string, defaultCountry: string | null): RecipientResult {
  const parsed = parsePhoneNumber(raw, defaultCountry);
  if (parsed.ok) return { ok: true, e164: parsed.e164, jid: phoneJid(parsed.e164) };
  const reason = parsed.problem === 'no_country_code'
    ? `"${raw}" has no country code (start with +, or configure DEFAULT_COUNTRY)`
    : `"${raw}" is not a possible phone number`;
  return { ok: false, code: 'invalid_recipient', reason };
}

/** Where a row goes: its phone when it has one, else the LID jid the database addressed it to. */
export function recipientOfRow(row: { recipient: string | null; recipient_jid: string | null }, defaultCountry: string | null): RowRecipientResult {
  if (row.recipient !== null) return normalizeRecipient(row.recipient, defaultCountry);
  if (row.recipient_jid !== null && LID_JID.test(row.recipient_jid)) return { ok: true, e164: null, jid: row.recipient_jid };
  return { ok: false, code: 'invalid_recipient', reason: `the row has no phone number and no LID to send to (${row.recipient_jid ?? 'none'})` };
}
