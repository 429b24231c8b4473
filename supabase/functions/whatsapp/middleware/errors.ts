// onError / notFound: every error leaves as `{ "error": { "code", "message" } }`. ApiErrors keep their
// status and code; Hono's HTTPExceptions (malformed JSON, media type) get stable codes by status; anything
// else is a 500 `internal_error` whose cause is logged, never shown.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiError } from '../../_shared/api-error.ts';
import { type Logger, serializeError } from '../../_shared/log.ts';
import type { AppEnv } from '../types.ts';

const HTTP_EXCEPTION_CODES: Record<number, readonly [string, string]> = {
  400: ['invalid_json', 'The request body is not valid JSON'],
  401: ['auth_required', 'Sign in first'],
  413: ['payload_too_large', 'The request body is too large'],
  415: ['unsupported_media_type', 'Send the request body as JSON (Content-Type: application/json)'],
};

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    const known = HTTP_EXCEPTION_CODES[error.status];
    if (known) return new ApiError(error.status, known[0], known[1], { cause: error });
  }
  return new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: error });
}

export function handleErrors(fallbackLogger: Logger): ErrorHandler<AppEnv> {
  return function handleError(error: unknown, c: Context<AppEnv>) {
    const apiError = toApiError(error);
    const logger = c.get('logger') ?? fallbackLogger;
    const fields = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: apiError.status,
      code: apiError.code,
    };
    if (apiError.status >= 500) logger.error('request failed', { ...fields, cause: serializeError(apiError.cause ?? error) });
    else logger.debug('request refused', fields);
    for (const [name, value] of Object.entries(apiError.headers)) c.header(name, value);
    return c.json(apiError.toBody(), apiError.status);
  };
}

export function handleNotFound(): NotFoundHandler<AppEnv> {
  return function notFound(c) {
    const error = new ApiError(404, 'route_not_found', `No route ${c.req.method} ${c.req.path}`);
    return c.json(error.toBody(), 404);
  };
}
