// Postgres timestamps arrive as ISO strings from PostgREST and sometimes as "2026-01-01 10:00:00+00"
// from Realtime; normalise before parsing.
export function parseTimestamp(value: string | null | undefined): number {
  if (!value) return Number.NaN;
  let iso = value.trim().replace(' ', 'T');
  iso = iso.replace(/([+-]\d{2})$/, '$1:00');
  return Date.parse(iso);
}

export function formatDateTime(value: string | null | undefined, lang: string): string {
  const ms = parseTimestamp(value);
  if (Number.isNaN(ms)) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

export function formatTime(value: string | null | undefined, lang: string): string {
  const ms = parseTimestamp(value);
  if (Number.isNaN(ms)) return '';
  const sameDay = new Date(ms).toDateString() === new Date().toDateString();
  return new Intl.DateTimeFormat(lang, sameDay ? { timeStyle: 'short' } : { dateStyle: 'short', timeStyle: 'short' }).format(ms);
}
