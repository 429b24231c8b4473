// The one idempotency mechanism of the routes that queue an outbound_messages row (a send, a reply, a rep action,
// a conversation read): the caller's key is stored on the row, unique per user (outbound_messages_idempotency_key
// _unique), so a retry finds the first row and nothing is queued twice. A key already used for a different request
// is 409 idempotency_conflict; a replay answers the first row with `Idempotent-Replayed: true`.
import type { Context } from 'hono';
import { ApiError } from '../../_shared/api-error.ts';
import { findOutboundByKey, type OutboundRow } from '../store/messages.ts';
import type { AppEnv } from '../types.ts';

/** What a route asked for, compared with the row stored under the key. */
export type SameRequest = (row: OutboundRow) => boolean | Promise<boolean>;

/** The key of the request: the Idempotency-Key header or the body's idempotency_key (both given: they must agree). */
export function requestKey(headerKey: string | undefined, bodyKey?: string): string | null {
  if (headerKey !== undefined && bodyKey !== undefined && headerKey !== bodyKey) {
    throw new ApiError(400, 'idempotency_key_mismatch', 'The Idempotency-Key header and the body\'s idempotency_key differ');
  }
  return bodyKey ?? headerKey ?? null;
}

/**
 * The row an earlier request with this key queued, when the key was used (marks the reply replayed); undefined when
 * the key is new (or none). The same key for another request is 409 idempotency_conflict.
 */
export async function earlierRequest(c: Context<AppEnv>, key: string | null, same: SameRequest): Promise<OutboundRow | undefined> {
  if (key === null) return undefined;
  const row = await findOutboundByKey(c.get('db'), c.get('user').id, key);
  if (!row) return undefined;
  if (!(await same(row))) throw new ApiError(409, 'idempotency_conflict', 'This idempotency key was already used for a different request');
  c.header('Idempotent-Replayed', 'true');
  return row;
}

/** After the insert lost to a concurrent request with the same key (23505): that request's row. */
export async function concurrentRequest(c: Context<AppEnv>, key: string, same: SameRequest): Promise<OutboundRow> {
  const row = await earlierRequest(c, key, same);
  if (!row) throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: 'idempotency row vanished' });
  return row;
}
