// Phone numbers: anything a person types (or a WhatsApp JID) -> E.164, or null when it is not valid.
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

const JID = /^([0-9]{5,20})@s\.whatsapp\.net$/;

export function normalizePhoneNumber(input: string, defaultCountry?: string): string | null {
  const trimmed = input.trim();
  const jid = JID.exec(trimmed);
  const candidate = jid ? `+${jid[1]}` : trimmed;
  if (candidate.length === 0 || candidate.length > 64) return null;
  const parsed = parsePhoneNumberFromString(candidate, {
    defaultCountry: defaultCountry as CountryCode | undefined,
    extract: false,
  });
  if (!parsed || !parsed.isValid()) return null;
  return parsed.number;
}

/** true when libphonenumber-js knows the ISO 3166-1 alpha-2 code (for config validation). */
export function isKnownCountry(code: string): boolean {
  return isSupportedCountry(code);
}
