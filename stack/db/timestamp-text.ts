// postgres.js binds a value Postgres types as date/timestamp/timestamptz through `new Date(x)`, which
// keeps milliseconds only: a PostgREST filter `at=eq.2026-12-07T10:00:00.123456+00:00` would then
// compare …10:00:00.123. PostgREST hands the text to Postgres, so the gateway does too: a string is
// sent as written (Postgres parses it, offsets and all); a Date still goes as its ISO form.
// Reading is unchanged (Date objects): /rest/v1 builds its JSON in Postgres and never reads them.
export const TIMESTAMP_TEXT = {
  to: 1184,
  from: [1082, 1114, 1184],
  serialize: (value: unknown): string => (typeof value === 'string' ? value : (value instanceof Date ? value : new Date(value as number)).toISOString()),
  parse: (value: string): Date => new Date(value),
};
