// The opaque cursor of GET /messages: the (time, kind, id) of the last item returned, base64url JSON.
// Times stay the exact strings Postgres produced (microseconds), never rounded through Date.
import { ApiError } from '../../_shared/api-error.ts';

export interface Cursor {
  /** timestamptz as PostgREST returned it */
  t: string;
  /** 'o' outbound, 'i' inbound */
  k: 'o' | 'i';
  i: string | number;
}

export type Keyed = Cursor;

export function encodeCursor(cursor: Cursor): string {
  const json = JSON.stringify({ t: cursor.t, k: cursor.k, i: cursor.i });
  return btoa(json).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const invalid = () => new ApiError(400, 'invalid_cursor', 'The cursor is not one this API returned');

export function decodeCursor(value: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(value.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw invalid();
  }
  const c = parsed as Partial<Cursor> | null;
  if (!c || typeof c.t !== 'string' || Number.isNaN(toMicros(c.t)) || (c.k !== 'o' && c.k !== 'i')) throw invalid();
  if (c.k === 'o' && (typeof c.i !== 'string' || !/^[0-9a-f-]{36}$/i.test(c.i))) throw invalid();
  if (c.k === 'i' && (typeof c.i !== 'number' || !Number.isSafeInteger(c.i))) throw invalid();
  return { t: c.t, k: c.k, i: c.i as string | number };
}

/** Microseconds since the epoch of a timestamptz string with up to 6 fractional digits. */
export function toMicros(timestamp: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(timestamp);
  if (!m) return Number.NaN;
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
  const ms = Date.parse(`${m[1]!.replace(' ', 'T')}${zone}`);
  return ms * 1000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** Newest first; at the same instant outbound before inbound. Ties within a table keep their order. */
export function compareNewestFirst(a: Cursor, b: Cursor): number {
  const dt = toMicros(b.t) - toMicros(a.t);
  if (dt !== 0) return dt;
  if (a.k !== b.k) return a.k === 'o' ? -1 : 1;
  return 0;
}
