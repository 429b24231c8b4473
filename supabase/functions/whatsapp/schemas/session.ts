import { z } from '@hono/zod-openapi';
import { NullableTimestamp, Timestamp } from './common.ts';

export const LinkRequestSchema = z.object({
  method: z.enum(['qr', 'pairing_code']).default('qr')
    .openapi({ description: 'How to link: scan a QR code (default) or type a pairing code on the phone' }),
  phone: z.string().min(1).max(64).optional()
    .openapi({ description: 'The WhatsApp number to link; required for pairing_code. Normalized to E.164.', example: '+14155552671' }),
}).strict().openapi('LinkRequest');

export const SessionSchema = z.object({
  id: z.uuid(),
  status: z.enum(['new', 'connecting', 'qr', 'pairing_code', 'connected', 'reconnecting', 'disconnected', 'logged_out', 'replaced', 'failed', 'expired'])
    .openapi({ description: 'Life cycle: new → connecting → qr / pairing_code → connected; then reconnecting, disconnected, logged_out, replaced, failed or expired' }),
  active: z.boolean().openapi({ description: 'true while the session holds the user\'s single active slot' }),
  link_method: z.enum(['qr', 'pairing_code']),
  phone_number: z.string().nullable().openapi({ description: 'E.164 number once linked', example: '+14155552671' }),
  push_name: z.string().nullable(),
  qr: z.object({
    value: z.string().openapi({ description: 'Raw QR payload: render it as a QR code' }),
    expires_at: Timestamp,
  }).nullable().openapi({ description: 'Present while status = qr' }),
  pairing_code: z.string().nullable().openapi({ description: 'Present while status = pairing_code' }),
  last_error: z.string().nullable(),
  last_disconnect_code: z.number().int().nullable(),
  connected_at: NullableTimestamp,
  disconnected_at: NullableTimestamp,
  last_activity_at: Timestamp,
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi('Session');

export const CommandSchema = z.object({
  id: z.number().int(),
  session_id: z.uuid(),
  command: z.enum(['connect', 'disconnect', 'logout', 'reconnect', 'pairing_code']),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  error: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi('SessionCommand');

export type SessionView = z.infer<typeof SessionSchema>;
export type CommandView = z.infer<typeof CommandSchema>;
