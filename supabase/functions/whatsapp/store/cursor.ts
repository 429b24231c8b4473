// The opaque cursors of GET /messages (the (time, kind, id) of the last item returned) and GET /conversations
// (the (last_message_at, contact_id) of the last conversation returned), base64url JSON.
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

/** The position after a conversation: its last message's time and its contact id. */
export interface ConversationCursor {
  t: string;
  c: string;
}

function encodeOpaque(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const invalid = () => new ApiError(400, 'invalid_cursor', 'The cursor is not one this API returned');

function decodeOpaque(value: string): unknown {
  try {
    return JSON.parse(atob(value.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw invalid();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: Cursor): string {
  return encodeOpaque({ t: cursor.t, k: cursor.k, i: cursor.i });
}

export function decodeCursor(value: string): Cursor {
  const c = decodeOpaque(value) as Partial<Cursor> | null;
  if (!c || typeof c.t !== 'string' || Number.isNaN(toMicros(c.t)) || (c.k !== 'o' && c.k !== 'i')) throw invalid();
  if (c.k === 'o' && (typeof c.i !== 'string' || !/^[0-9a-f-]{36}$/i.test(c.i))) throw invalid();
  if (c.k === 'i' && (typeof c.i !== 'number' || !Number.isSafeInteger(c.i))) throw invalid();
  return { t: c.t, k: c.k, i: c.i as string | number };
}

export function encodeConversationCursor(cursor: ConversationCursor): string {
  return encodeOpaque({ t: cursor.t, c: cursor.c });
}

export function decodeConversationCursor(value: string): ConversationCursor {
  const c = decodeOpaque(value) as Partial<ConversationCursor> | null;
  if (!c || typeof c !== 'object' || typeof c.t !== 'string' || Number.isNaN(toMicros(c.t))) throw invalid();
  if (typeof c.c !== 'string' || !UUID.test(c.c)) throw invalid();
  return { t: c.t, c: c.c };
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
