// /webhooks/events: the delivery log of the caller's webhook events (status, attempts, last error), one event
// with every attempt, and redelivery of one event or a range (same id: the CRM deduplicates on webhook-id).
import { createRoute } from '@hono/zod-openapi';
import { ApiError } from '../../_shared/api-error.ts';
import { bodyErrors, commonErrors, errorResponse, rateLimitError } from '../schemas/common.ts';
import {
  ListWebhookEventsQuery, RedeliveredSchema, RedeliverRangeSchema, WebhookEventDetailSchema, WebhookEventIdParams,
  WebhookEventPageSchema, WebhookEventSchema, type WebhookEventView,
} from '../schemas/webhook.ts';
import {
  encodeEventCursor, type EventRow, findEvent, listEvents, redeliverEvent, redeliverEvents,
} from '../store/webhooks.ts';
import { type App, bearerSecurity, type RouteDeps } from './deps.ts';

function toEventView(row: EventRow): WebhookEventView {
  return {
    id: row.id,
    event_type: row.event_type as WebhookEventView['event_type'],
    status: row.status as WebhookEventView['status'],
    attempts: row.attempts,
    occurred_at: row.occurred_at,
    next_attempt_at: row.next_attempt_at,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    delivered_at: row.delivered_at,
    dead_at: row.dead_at,
    updated_at: row.updated_at,
  };
}

const notFound = errorResponse('`event_not_found`: no such event of the caller');

export function registerWebhookRoutes(app: App, deps: RouteDeps): void {
  const guard = [deps.requireUser, deps.limitWebhooks];

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/events',
      tags: ['Webhooks'],
      summary: 'The webhook delivery log, newest first',
      description: 'Every event written for the user\'s CRM with its delivery state: `pending` (waiting for its next ' +
        'attempt), `delivering`, `delivered` or `dead` (the retries ran out). Filter by `status`, `event_type` and time; pass ' +
        '`next_cursor` back as `cursor` for the next page (null on the last page).',
      security: bearerSecurity,
      middleware: guard,
      request: { query: ListWebhookEventsQuery },
      responses: {
        200: { content: { 'application/json': { schema: WebhookEventPageSchema } }, description: 'A page of events' },
        400: errorResponse('`validation_failed` (a bad filter or limit) or `invalid_cursor`'),
        401: commonErrors[401],
        500: commonErrors[500],
        ...rateLimitError,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      if (query.since && query.until && Date.parse(query.since) > Date.parse(query.until)) {
        throw new ApiError(400, 'invalid_range', 'since is after until');
      }
      const { rows, hasMore } = await listEvents(c.get('db'), query);
      const last = rows.at(-1);
      return c.json({ events: rows.map(toEventView), next_cursor: hasMore && last ? encodeEventCursor(last) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/events/{id}',
      tags: ['Webhooks'],
      summary: 'One webhook event with every delivery attempt',
      security: bearerSecurity,
      middleware: guard,
      request: { params: WebhookEventIdParams },
      responses: {
        200: { content: { 'application/json': { schema: WebhookEventDetailSchema } }, description: 'The event, its data and its attempts' },
        404: notFound,
        ...commonErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const found = await findEvent(c.get('db'), c.req.valid('param').id);
      if (!found) throw new ApiError(404, 'event_not_found', 'No such webhook event');
      const data = (found.data && typeof found.data === 'object' ? found.data : {}) as Record<string, unknown>;
      return c.json({ ...toEventView(found), data, deliveries: found.deliveries }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/events/{id}/redeliver',
      tags: ['Webhooks'],
      summary: 'Deliver one event again',
      description: 'Queues a `delivered` or `dead` event again with the same id (`webhook-id`) and a new round of attempts.',
      security: bearerSecurity,
      middleware: guard,
      request: { params: WebhookEventIdParams },
      responses: {
        202: { content: { 'application/json': { schema: WebhookEventSchema } }, description: 'The event, pending again' },
        404: notFound,
        409: errorResponse('`event_in_flight`: the event is still pending or being delivered'),
        ...commonErrors,
        ...rateLimitError,
      },
    }),
    async (c) => c.json(toEventView(await redeliverEvent(c.get('db'), c.req.valid('param').id)), 202),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/events/redeliver',
      tags: ['Webhooks'],
      summary: 'Deliver a range of events again',
      description: 'Queues again, with their ids, the `delivered` and `dead` events listed in `ids`, or those matching ' +
        '`status`, `event_type` and `since`/`until` (at most `limit`, oldest first). Pending and in-flight events are ' +
        'skipped: they are delivered anyway.',
      security: bearerSecurity,
      middleware: guard,
      request: {
        body: {
          content: { 'application/json': { schema: RedeliverRangeSchema, example: { status: 'dead', since: '2026-12-07T00:00:00Z' } } },
          required: true,
        },
      },
      responses: {
        202: { content: { 'application/json': { schema: RedeliveredSchema } }, description: 'The events queued again' },
        400: errorResponse('`validation_failed`, `unknown_field`, `invalid_json` or `invalid_range` (ids with filters, ' +
          'since after until, more ids than the limit)'),
        401: commonErrors[401],
        500: commonErrors[500],
        ...bodyErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      if (body.ids && (body.status || body.event_type || body.since || body.until)) {
        throw new ApiError(400, 'invalid_range', 'Give either ids or filters (status, event_type, since, until), not both');
      }
      if (body.since && body.until && Date.parse(body.since) > Date.parse(body.until)) {
        throw new ApiError(400, 'invalid_range', 'since is after until');
      }
      if (body.ids && body.limit !== undefined && body.ids.length > body.limit) {
        throw new ApiError(400, 'invalid_range', 'More ids than the limit');
      }
      return c.json({ redelivered: await redeliverEvents(c.get('db'), body) }, 202);
    },
  );
}
