// Request body guards for JSON routes: a size cap (413) and "an empty body means {}", so
// `POST /sessions` with `Content-Type: application/json` and no body is not malformed JSON.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../../_shared/api-error.ts';
import type { AppEnv } from '../types.ts';

export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `The request body is larger than ${maxBytes} bytes`);
    },
  });
}

export function emptyBodyAsObject(): MiddlewareHandler<AppEnv> {
  return async function emptyBodyAsObject(c, next) {
    if (c.req.raw.body && /json/i.test(c.req.header('Content-Type') ?? '')) {
      const text = await c.req.text();
      // Hono caches the body as a promise per kind; the validator then parses '{}'.
      if (text.trim() === '') (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve('{}');
    }
    await next();
  };
}
