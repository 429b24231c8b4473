import { z } from '@hono/zod-openapi';
import { Constants } from '../../_shared/database.types.ts';
import { NullableTimestamp, Timestamp } from './common.ts';

const Enums = Constants.public.Enums;

export const LinkRequestSchema = z.object({
  method: z.enum(Enums.link_method).default('qr')
    .openapi({ description: 'How to link: scan a QR code (default) or type a pairing code on the phone' }),
  phone: z.string().min(1).max(64).optional()
    .openapi({ description: 'The WhatsApp number to link; required for pairing_code. Normalized to E.164.', example: '+14155552671' }),
}).strict().openapi('LinkRequest');

export const SessionSchema = z.object({
  id: z.uuid(),
  status: z.enum(Enums.session_status)
    .openapi({ description: 'Life cycle: new → connecting → qr / pairing_code → connected; then reconnecting, disconnected, or a terminal status (logged_out, replaced, failed, expired, passkey_required, client_outdated)' }),
  active: z.boolean().openapi({ description: 'true while the session holds the user\'s single active slot' }),
  link_method: z.enum(Enums.link_method),
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
  restricted_until: NullableTimestamp.openapi({ description: 'While set, WhatsApp restricts the number (reachout time-lock) ' +
    'until then: messages to new contacts wait queued, chats with existing contacts go on; the status stays connected' }),
  restriction_kind: z.string().nullable()
    .openapi({ description: 'The restriction\'s kind as WhatsApp reports it (set together with restricted_until)', example: 'RESTRICT_ALL_COMPANIONS' }),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi('Session');

export const CommandSchema = z.object({
  id: z.number().int(),
  session_id: z.uuid(),
  command: z.enum(Enums.session_command),
  status: z.enum(Enums.command_status),
  error: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi('SessionCommand');

export type SessionView = z.infer<typeof SessionSchema>;
export type CommandView = z.infer<typeof CommandSchema>;
