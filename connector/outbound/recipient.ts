// Recipient of an outbound row: E.164 and its JID under the project's one phone rule
// (supabase/functions/_shared/phone.ts), with the reason a CRM reads when a row fails.
import { parsePhoneNumber, phoneJid } from '../../supabase/functions/_shared/phone.ts';

export type RecipientResult =
  | { ok: true; e164: string; jid: string }
  | { ok: false; code: 'invalid_recipient'; reason: string };

export function normalizeRecipient(raw: string, defaultCountry: string | null): RecipientResult {
  const parsed = parsePhoneNumber(raw, defaultCountry);
  if (parsed.ok) return { ok: true, e164: parsed.e164, jid: phoneJid(parsed.e164) };
  const reason = parsed.problem === 'no_country_code'
    ? `"${raw}" has no country code (start with +, or configure DEFAULT_COUNTRY)`
    : `"${raw}" is not a possible phone number`;
  return { ok: false, code: 'invalid_recipient', reason };
}
