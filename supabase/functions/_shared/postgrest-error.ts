// Maps database errors (as PostgREST reports them: `code` is the SQLSTATE) to ApiErrors.
// Decisions are made on SQLSTATEs only, never on message text. Our own SQLSTATEs (WL403..WL429)
// carry messages written for users, so those are passed through; Postgres' own are not.
import { ApiError } from './api-error.ts';

export interface DatabaseError {
  code?: string | null;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

/** Per-call overrides: SQLSTATE -> [code, message?]. */
export type SqlstateOverrides = Partial<Record<string, readonly [code: string, message?: string]>>;

const DEFAULTS: Record<string, (message: string) => ApiError> = {
  WL404: (m) => new ApiError(404, 'not_found', m || 'Not found'),
  WL409: (m) => new ApiError(409, 'conflict', m || 'The request conflicts with the current state'),
  WL422: (m) => new ApiError(400, 'invalid_request', m || 'The request is invalid'),
  // media refusals of the outbound insert trigger (check_outbound_media)
  WL403: (m) => new ApiError(403, 'forbidden', m || 'You are not allowed to do that'),
  WL411: (m) => new ApiError(400, 'invalid_request', m || 'The file is empty'),
  WL413: (m) => new ApiError(413, 'too_large', m || 'The file is too large'),
  WL415: (m) => new ApiError(415, 'unsupported_media_type', m || 'The file type is not accepted'),
  // a write quota of the database (write_quotas: queued messages per session, commands per minute)
  WL429: (m) => new ApiError(429, 'quota_exceeded', m || 'A quota is exhausted, try again later'),
  '23505': () => new ApiError(409, 'conflict', 'A row with the same unique values already exists'),
  '23514': () => new ApiError(400, 'constraint_violation', 'The request breaks a data rule (check its values)'),
  '23503': () => new ApiError(404, 'not_found', 'A referenced row does not exist'),
  '23502': () => new ApiError(400, 'constraint_violation', 'A required value is missing'),
  '22P02': () => new ApiError(400, 'invalid_request', 'A value has the wrong format'),
  // U+0000 in JSON (22P05) or a byte sequence that is not valid UTF-8 (22021): Postgres text cannot store it
  '22P05': () => new ApiError(400, 'invalid_request', 'A text value contains a character that cannot be stored (such as U+0000)'),
  '22021': () => new ApiError(400, 'invalid_request', 'A text value contains a character that cannot be stored (such as U+0000)'),
  '42501': () => new ApiError(403, 'forbidden', 'You are not allowed to do that'),
  // PostgREST's own JWT errors: the token was accepted by us but refused by the database API.
  PGRST301: () => new ApiError(401, 'invalid_token', 'The access token was refused'),
  PGRST302: () => new ApiError(401, 'auth_required', 'Sign in first'),
  PGRST303: () => new ApiError(401, 'invalid_token', 'The access token was refused'),
};

const OWN_SQLSTATES = new Set(['WL403', 'WL404', 'WL409', 'WL411', 'WL413', 'WL415', 'WL422', 'WL429']);
/** Refusals whose hint names the reason (e.g. the rep actions' `target_not_found`, `edit_window_passed`): the hint is the code. */
const HINT_IS_CODE = new Set(['WL403', 'WL404', 'WL409']);
const CODE_SHAPE = /^[a-z][a-z0-9_]{2,63}$/;

/** An ApiError for a known SQLSTATE, or a 500 carrying the database error as its (logged) cause. */
export function toApiError(error: DatabaseError, overrides: SqlstateOverrides = {}): ApiError {
  const sqlstate = error.code ?? '';
  const ownMessage = OWN_SQLSTATES.has(sqlstate) ? (error.message ?? '') : '';
  const base = DEFAULTS[sqlstate]?.(ownMessage);
  const hinted = HINT_IS_CODE.has(sqlstate) && error.hint && CODE_SHAPE.test(error.hint) ? error.hint : null;
  if (base && hinted) return new ApiError(base.status, hinted, base.message, { cause: error }); // the SQL named it
  const override = overrides[sqlstate];
  if (override) {
    return new ApiError(base?.status ?? 400, override[0], override[1] ?? base?.message ?? 'Request failed', { cause: error });
  }
  if (base) return new ApiError(base.status, base.code, base.message, { cause: error });
  return new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: error });
}
