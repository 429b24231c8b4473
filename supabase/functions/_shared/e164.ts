// The stored phone form and the phone JID, without libphonenumber (the web app imports this file, its bundle
// keeps the small metadata). phone.ts re-exports both: the one phone rule stays in one place.

/** The stored form (the same pattern as public.is_e164_phone). */
const E164 = /^\+[1-9][0-9]{6,14}$/;

export function isE164(phone: string): boolean {
  return E164.test(phone);
}

/**
 * The E.164 number of a WhatsApp phone JID (`<digits>[:device]@s.whatsapp.net`), or null for anything else:
 * a LID (`<digits>@lid`) is not a phone number and is never shown as one.
 */
export function phoneOfJid(jid: string | null | undefined): string | null {
  const user = jid ? /^([0-9]{5,20})(?::[0-9]+)?@s\.whatsapp\.net$/.exec(jid)?.[1] : undefined;
  return user && isE164(`+${user}`) ? `+${user}` : null;
}
