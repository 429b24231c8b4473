// The webhook outbox and its delivery log through PostgREST, as the caller (RLS: a user sees only their own),
// and redelivery through the SQL functions that own the transition.
import { ApiError } from '../../_shared/api-error.ts';
import type { Tables } from '../../_shared/database.types.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';
import type { ListWebhookEvents, RedeliverRange } from '../schemas/webhook.ts';
import type { Db } from '../types.ts';

const EVENT_COLUMNS = 'seq,id,event_type,status,attempts,occurred_at,next_attempt_at,last_status_code,last_error,delivered_at,dead_at,updated_at';
const DELIVERY_COLUMNS = 'attempt,url,status_code,error,duration_ms,attempted_at';

export type EventRow = Pick<Tables<'webhook_events'>,
  | 'seq' | 'id' | 'event_type' | 'status' | 'attempts' | 'occurred_at' | 'next_attempt_at' | 'last_status_code' | 'last_error'
  | 'delivered_at' | 'dead_at' | 'updated_at'>;
export type DeliveryRow = Pick<Tables<'webhook_deliveries'>,
  'attempt' | 'url' | 'status_code' | 'error' | 'duration_ms' | 'attempted_at'>;

/** The cursor of a page: the seq of its last event (newest first), base64url so callers treat it as opaque. */
export function encodeEventCursor(row: EventRow): string {
  return btoa(JSON.stringify({ s: row.seq })).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeEventCursor(value: string): number {
  let parsed: { s?: unknown } | null = null;
  try {
    parsed = JSON.parse(atob(value.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    // reported below
  }
  if (!parsed || typeof parsed.s !== 'number' || !Number.isSafeInteger(parsed.s) || parsed.s < 1) {
    throw new ApiError(400, 'invalid_cursor', 'The cursor is not one this API returned');
  }
  return parsed.s;
}

/** A page of the caller's events, newest written first, after `cursor`. */
export async function listEvents(db: Db, query: ListWebhookEvents): Promise<{ rows: EventRow[]; hasMore: boolean }> {
  let q = db.from('webhook_events').select(EVENT_COLUMNS);
  if (query.cursor) q = q.lt('seq', decodeEventCursor(query.cursor));
  if (query.status) q = q.eq('status', query.status);
  if (query.event_type) q = q.eq('event_type', query.event_type);
  if (query.since) q = q.gte('occurred_at', query.since);
  if (query.until) q = q.lt('occurred_at', query.until);
  const { data, error } = await q.order('seq', { ascending: false }).limit(query.limit + 1);
  if (error) throw toApiError(error);
  return { rows: data.slice(0, query.limit), hasMore: data.length > query.limit };
}

export async function findEvent(db: Db, id: string): Promise<(EventRow & { data: unknown; deliveries: DeliveryRow[] }) | null> {
  const [event, deliveries] = await Promise.all([
    db.from('webhook_events').select(`${EVENT_COLUMNS},data`).eq('id', id).limit(1),
    db.from('webhook_deliveries').select(DELIVERY_COLUMNS).eq('event_id', id).order('id', { ascending: true }),
  ]);
  if (event.error) throw toApiError(event.error);
  if (deliveries.error) throw toApiError(deliveries.error);
  const row = event.data[0];
  return row ? { ...row, deliveries: deliveries.data } : null;
}

const notFound = ['event_not_found', 'No such webhook event'] as const;

export async function redeliverEvent(db: Db, id: string): Promise<EventRow> {
  const { data, error } = await db.rpc('redeliver_webhook_event', { p_event_id: id });
  if (error) throw toApiError(error, { WL404: notFound, WL409: ['event_in_flight'] });
  const row = (Array.isArray(data) ? data[0] : data) as EventRow | null;
  if (!row) throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: 'redeliver returned no row' });
  return row;
}

/** Ids of the events queued again. Without a limit: 100, or as many as the ids given. */
export async function redeliverEvents(db: Db, range: RedeliverRange): Promise<string[]> {
  const limit = range.limit ?? (range.ids && range.ids.length > 100 ? range.ids.length : undefined);
  const args = {
    p_ids: range.ids, p_status: range.status, p_event_type: range.event_type, p_since: range.since, p_until: range.until,
    p_limit: limit,
  };
  const { data, error } = await db.rpc('redeliver_webhook_events',
    Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)));
  if (error) throw toApiError(error, { WL422: ['invalid_range'] });
  return data ?? [];
}
