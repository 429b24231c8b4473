// Messaging settings (configuracion_mensajeria_usuario). The bounds mirror public.messaging_config_problems,
// which stays the authority (a CRM may write the table directly): these give field-level 400s and the docs.
import { z } from '@hono/zod-openapi';
import { NullableTimestamp } from './common.ts';

export const WEBHOOK_EVENT_TYPES = ['message.received', 'message.updated', 'message.status', 'session.status'] as const;
export const MAX_PACING_MS = 3_600_000;
export const MAX_MEDIA_BYTES = 2_147_483_647;

const millis = z.number().int().min(0).max(MAX_PACING_MS);

export const PacingSchema = z.object({
  min_interval_ms: millis.optional().openapi({ description: 'Least time between two sends of a session', example: 1500 }),
  jitter_ms: millis.optional().openapi({ description: 'Random extra wait, 0 to this, added to each interval', example: 500 }),
}).strict().openapi('Pacing');

export const WebhookConfigSchema = z.object({
  url: z.string().max(2048).nullable().optional()
    .openapi({ description: 'Where events are POSTed (http or https, no credentials)', example: 'https://crm.example.com/hooks/whatsapp' }),
  enabled: z.boolean().optional().openapi({ description: 'false keeps events waiting (and stops new ones being written)' }),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).max(WEBHOOK_EVENT_TYPES.length).optional()
    .openapi({ description: 'Event types to receive; default all' }),
}).strict().openapi('WebhookConfig');

export const MessagingConfigSchema = z.object({
  pacing: PacingSchema.optional(),
  default_country: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as US or ES').nullable().optional()
    .openapi({ description: 'Country for recipients written without +country', example: 'ES' }),
  history_import: z.boolean().optional().openapi({ description: 'Import the chat history when WhatsApp is linked' }),
  media_max_bytes: z.number().int().min(1).max(MAX_MEDIA_BYTES).optional()
    .openapi({ description: 'Media larger than this is neither downloaded nor sent', example: 16_777_216 }),
  typing_indicator: z.boolean().optional().openapi({ description: 'Show "typing…" to the contact while a paced send waits' }),
  webhook: WebhookConfigSchema.optional(),
}).strict().openapi('MessagingConfig', {
  description: 'Every key is optional: a missing key means the deployment\'s default (the connector\'s configuration).',
});

export const SaveSettingsSchema = z.object({
  name: z.string().min(1).max(100).nullable().optional().openapi({ example: 'Ventas' }),
  active: z.boolean().optional().openapi({ description: 'false pauses sending: queued messages wait until it is true again' }),
  config: MessagingConfigSchema.optional(),
}).strict().openapi('SaveSettings', { description: 'Replaces the settings: absent fields go back to their defaults.' });

export const WebhookSecretStateSchema = z.object({
  set: z.boolean(),
  created_at: NullableTimestamp,
  value: z.string().optional().openapi({
    description: 'Only in the response that created the secret: store it now, it is never shown again',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).openapi('WebhookSecretState');

export const SettingsSchema = z.object({
  platform: z.literal('whatsapp'),
  name: z.string().nullable(),
  active: z.boolean(),
  config: MessagingConfigSchema,
  webhook_secret: WebhookSecretStateSchema,
  updated_at: NullableTimestamp.openapi({ description: 'null: never saved (all defaults)' }),
}).openapi('Settings');

export const RotateSecretSchema = z.object({
  secret: z.string().min(1).max(200).optional()
    .openapi({ description: 'Your own secret (whsec_ + base64 of 24 to 96 random bytes); default: a new random one' }),
}).strict().openapi('RotateWebhookSecret');

export const WebhookSecretSchema = z.object({
  secret: z.string().openapi({ description: 'The signing secret for the Standard Webhooks library: shown this once' }),
  created_at: z.string().openapi({ format: 'date-time' }),
}).openapi('WebhookSecret');

export type MessagingConfig = z.infer<typeof MessagingConfigSchema>;
export type SettingsView = z.infer<typeof SettingsSchema>;
