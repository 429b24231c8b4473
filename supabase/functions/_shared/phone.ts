// The one phone rule of the project (the function and the connector import it; the schema's own check
// is public.is_e164_phone): anything a person types, or a WhatsApp phone JID, becomes E.164 when it is a
// *possible* number (right length for its country, libphonenumber-js). Possible rather than valid:
// WhatsApp decides the rest (the connector's onWhatsApp check), and strict validity data rejects real
// but newly allocated ranges. National numbers need a default country; "00" is an international prefix.
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
export { isE164, phoneOfJid } from './e164.ts';

const PHONE_JID = /^([0-9]{5,20})@s\.whatsapp\.net$/;

export type PhoneParse =
  | { ok: true; e164: string }
  | { ok: false; problem: 'no_country_code' | 'not_a_phone_number' };

export function parsePhoneNumber(input: string, defaultCountry?: string | null): PhoneParse {
  const trimmed = input.trim();
  const jid = PHONE_JID.exec(trimmed);
  const candidate = jid ? `+${jid[1]}` : trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed;
  if (candidate.length === 0 || candidate.length > 64) return { ok: false, problem: 'not_a_phone_number' };
  const international = candidate.startsWith('+');
  if (!international && !defaultCountry) return { ok: false, problem: 'no_country_code' };
  const parsed = international
    ? parsePhoneNumberFromString(candidate, { extract: false })
    : parsePhoneNumberFromString(candidate, { defaultCountry: defaultCountry as CountryCode, extract: false });
  if (!parsed || !parsed.isPossible()) return { ok: false, problem: 'not_a_phone_number' };
  return { ok: true, e164: parsed.number };
}

/** E.164, or null when the input is not a possible phone number under the rule above. */
export function normalizePhoneNumber(input: string, defaultCountry?: string | null): string | null {
  const result = parsePhoneNumber(input, defaultCountry);
  return result.ok ? result.e164 : null;
}

/** The WhatsApp user JID of an E.164 number. */
export function phoneJid(e164: string): string {
  return `${e164.slice(1)}@s.whatsapp.net`;
}

/** true when libphonenumber-js knows the ISO 3166-1 alpha-2 code (for config validation). */
export function isKnownCountry(code: string): boolean {
  return isSupportedCountry(code);
}
