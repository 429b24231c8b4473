import { z } from '@hono/zod-openapi';

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: 'invalid_phone_number' }),
    message: z.string().openapi({ example: 'The recipient is not a valid phone number' }),
    details: z.unknown().optional(),
  }),
}).openapi('Error');

/** An error response entry for createRoute({ responses }). */
export const errorResponse = (description: string) => ({
  content: { 'application/json': { schema: ErrorSchema } },
  description,
});

export const commonErrors = {
  400: errorResponse('Invalid request: malformed JSON (`invalid_json`), schema errors (`validation_failed`, `unknown_field`) or a bad value'),
  401: errorResponse('`auth_required` (no user token) or `invalid_token` (bad or expired token)'),
  500: errorResponse('`internal_error`: something went wrong on our side (logged)'),
} as const;

export const bodyErrors = {
  413: errorResponse('`payload_too_large`: the body exceeds the size limit'),
  415: errorResponse('`unsupported_media_type`: send `Content-Type: application/json`'),
} as const;

export const rateLimitError = {
  429: errorResponse('`rate_limited`: too many requests; wait `Retry-After` seconds'),
} as const;

export const SessionIdParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, example: '7d3f1c2e-5b6a-4c8d-9e0f-1a2b3c4d5e6f' }),
});

const timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-28T10:00:00.000000+00:00' });
export const Timestamp = timestamp;
export const NullableTimestamp = timestamp.nullable();
