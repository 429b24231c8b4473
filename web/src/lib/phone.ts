import { isValidPhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** "+34612345678" → "+34 612 34 56 78"; anything unparseable is shown as given. */
export function formatPhone(value: string | null | undefined): string {
  if (!value) return '';
  const parsed = parsePhoneNumberFromString(value.startsWith('+') ? value : `+${value}`);
  return parsed ? parsed.formatInternational() : value;
}

/**
 * true when an international number (starting with +) cannot be a phone number, so the form can say
 * so before calling the API. National numbers are left to the server, which knows the default country.
 */
export function isClearlyInvalidPhone(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.startsWith('+') && !isValidPhoneNumber(trimmed);
}
