// The webhook delivery log (webhook_events + webhook_deliveries) and redelivery.
import { z } from '@hono/zod-openapi';
import { NullableTimestamp, Timestamp } from './common.ts';
import { WEBHOOK_EVENT_TYPES } from './settings.ts';

export const WEBHOOK_EVENT_STATUSES = ['pending', 'delivering', 'delivered', 'dead'] as const;
export const MAX_REDELIVER = 1000;

const eventId = z.string().regex(/^evt_[0-9a-f]{32}$/, 'must be an event id (evt_ and 32 hex digits)');
const timeFilter = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-12-07T10:00:00Z' });

export const WebhookEventIdParams = z.object({
  id: eventId.openapi({ param: { name: 'id', in: 'path' }, example: 'evt_9b2c1f0e8d7a6b5c4d3e2f1a0b9c8d7e' }),
});

export const ListWebhookEventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  cursor: z.string().min(1).max(500).optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: 'next_cursor of the previous page' }),
  status: z.enum(WEBHOOK_EVENT_STATUSES).optional()
    .openapi({ param: { name: 'status', in: 'query' }, description: 'Only events in this state (e.g. `dead`)' }),
  event_type: z.enum(WEBHOOK_EVENT_TYPES).optional().openapi({ param: { name: 'event_type', in: 'query' } }),
  since: timeFilter.optional()
    .openapi({ param: { name: 'since', in: 'query' }, description: 'Events that occurred at or after this time' }),
  until: timeFilter.optional()
    .openapi({ param: { name: 'until', in: 'query' }, description: 'Events that occurred before this time' }),
});

export const WebhookEventSchema = z.object({
  id: z.string().openapi({ description: 'The stable event id, sent as `webhook-id` on every attempt', example: 'evt_9b2c1f0e8d7a6b5c4d3e2f1a0b9c8d7e' }),
  event_type: z.enum(WEBHOOK_EVENT_TYPES),
  status: z.enum(WEBHOOK_EVENT_STATUSES).openapi({ description: 'pending → delivering → delivered, or dead after the last retry' }),
  attempts: z.number().int().openapi({ description: 'Attempts in the current round (a redelivery starts a new round)' }),
  occurred_at: Timestamp,
  next_attempt_at: Timestamp.openapi({ description: 'When a pending event is tried next' }),
  last_status_code: z.number().int().nullable().openapi({ description: 'HTTP status of the last attempt; null: no response' }),
  last_error: z.string().nullable(),
  delivered_at: NullableTimestamp,
  dead_at: NullableTimestamp,
  updated_at: Timestamp,
}).openapi('WebhookEvent');

export const WebhookEventPageSchema = z.object({
  events: z.array(WebhookEventSchema),
  next_cursor: z.string().nullable(),
}).openapi('WebhookEventPage');

export const WebhookDeliverySchema = z.object({
  attempt: z.number().int(),
  url: z.string(),
  status_code: z.number().int().nullable().openapi({ description: 'null: no response (see error)' }),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
  attempted_at: Timestamp,
}).openapi('WebhookDelivery');

export const WebhookEventDetailSchema = WebhookEventSchema.extend({
  data: z.record(z.string(), z.unknown()).openapi({ description: 'The event\'s `data`, as sent in the body' }),
  deliveries: z.array(WebhookDeliverySchema).openapi({ description: 'Every attempt, oldest first' }),
}).openapi('WebhookEventDetail');

export const RedeliverRangeSchema = z.object({
  ids: z.array(eventId).min(1).max(MAX_REDELIVER).optional()
    .openapi({ description: 'These events (instead of a filter); ids that are not yours or still in flight are skipped' }),
  status: z.enum(['delivered', 'dead']).optional().openapi({ description: 'Only events in this state (default: both)' }),
  event_type: z.enum(WEBHOOK_EVENT_TYPES).optional(),
  since: timeFilter.optional().openapi({ description: 'Events that occurred at or after this time' }),
  until: timeFilter.optional().openapi({ description: 'Events that occurred before this time' }),
  limit: z.number().int().min(1).max(MAX_REDELIVER).optional().openapi({ description: 'At most this many, oldest first (default 100)' }),
}).strict().openapi('RedeliverWebhookEvents');

export const RedeliveredSchema = z.object({
  redelivered: z.array(z.string()).openapi({ description: 'Ids of the events queued again, oldest first' }),
}).openapi('RedeliveredWebhookEvents');

export type WebhookEventView = z.infer<typeof WebhookEventSchema>;
export type WebhookEventDetailView = z.infer<typeof WebhookEventDetailSchema>;
export type RedeliverRange = z.infer<typeof RedeliverRangeSchema>;
export type ListWebhookEvents = z.infer<typeof ListWebhookEventsQuery>;
