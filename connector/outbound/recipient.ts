// Recipient normalisation: E.164 (libphonenumber-js), with an optional default region for national
// numbers. "Possible" (right length for the country) rather than "valid": WhatsApp decides the rest
// (the onWhatsApp check), and strict validity data would reject real but newly allocated ranges.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export type RecipientResult =
  | { ok: true; e164: string; jid: string }
  | { ok: false; code: 'invalid_recipient'; reason: string };

export function normalizeRecipient(raw: string, defaultCountry: string | null): RecipientResult {
  const input = raw.trim();
  const jidMatch = /^([0-9]{5,20})@s\.whatsapp\.net$/.exec(input);
  const candidate = jidMatch ? `+${jidMatch[1]}` : input;
  const international = candidate.startsWith('+') || candidate.startsWith('00');
  const cleaned = candidate.startsWith('00') ? `+${candidate.slice(2)}` : candidate;
  if (!international && !defaultCountry) {
    return { ok: false, code: 'invalid_recipient', reason: `"${raw}" has no country code (start with +, or configure DEFAULT_COUNTRY)` };
  }
  const parsed = international
    ? parsePhoneNumberFromString(cleaned)
    : parsePhoneNumberFromString(cleaned, defaultCountry as CountryCode);
  if (!parsed || !parsed.isPossible()) {
    return { ok: false, code: 'invalid_recipient', reason: `"${raw}" is not a possible phone number` };
  }
  const digits = parsed.number.slice(1);
  return { ok: true, e164: parsed.number, jid: `${digits}@s.whatsapp.net` };
}
