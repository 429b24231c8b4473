import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** "+34612345678" → "+34 612 34 56 78"; anything unparseable is shown as given. */
export function formatPhone(value: string | null | undefined): string {
  if (!value) return '';
  const parsed = parsePhoneNumberFromString(value.startsWith('+') ? value : `+${value}`);
  return parsed ? parsed.formatInternational() : value;
}
