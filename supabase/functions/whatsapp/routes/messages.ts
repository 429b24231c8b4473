// /messages: queue a text message (idempotent), and list recent outbound and inbound messages.
import { createRoute } from '@hono/zod-openapi';
import { ApiError } from '../../_shared/api-error.ts';
import { normalizePhoneNumber } from '../../_shared/phone.ts';
import { bodyErrors, commonErrors, errorResponse, rateLimitError } from '../schemas/common.ts';
import {
  ListMessagesQuery,
  MessagePageSchema,
  OutboundMessageSchema,
  SendMessageHeaders,
  SendMessageSchema,
} from '../schemas/message.ts';
import { decodeCursor, encodeCursor } from '../store/cursor.ts';
import { findOutboundByKey, insertOutbound, listMessages, type OutboundRow } from '../store/messages.ts';
import { findActiveSession, findSession, isActiveStatus } from '../store/sessions.ts';
import { type App, bearerSecurity, type RouteDeps } from './deps.ts';
import { toListedView, toOutboundView } from './views.ts';

interface Requested {
  sessionId: string | undefined;
  to: string;
  text: string;
}

/** A stored message is a replay of a request when everything the caller asked for matches. */
function isSameRequest(row: OutboundRow, req: Requested): boolean {
  return row.recipient === req.to && row.text === req.text && (req.sessionId === undefined || row.session_id === req.sessionId);
}

function idempotencyConflict(): ApiError {
  return new ApiError(409, 'idempotency_conflict', 'This idempotency key was already used for a different message');
}

export function registerMessageRoutes(app: App, deps: RouteDeps): void {
  const { config } = deps;
  const guard = [deps.requireUser, deps.limitMessages];

  app.openapi(
    createRoute({
      method: 'post',
      path: '/messages',
      tags: ['Messages'],
      summary: 'Queue a text message',
      description: 'Queues a WhatsApp text message on the user\'s active session (or `session_id`). The connector sends it; ' +
        'follow its `status` (queued → sending → sent → delivered → read, or failed) through Realtime or GET /messages. ' +
        'With an idempotency key (body `idempotency_key` or header `Idempotency-Key`) a retry returns the first message ' +
        '(header `Idempotent-Replayed: true`) and nothing is sent twice.',
      security: bearerSecurity,
      middleware: guard,
      request: {
        headers: SendMessageHeaders,
        body: {
          content: {
            'application/json': {
              schema: SendMessageSchema,
              example: { to: '+14155552671', text: 'Hello from the CRM', idempotency_key: 'order-1234-confirmation' },
            },
          },
          required: true,
        },
      },
      responses: {
        202: { content: { 'application/json': { schema: OutboundMessageSchema } }, description: 'The queued message (or, for a replayed idempotency key, the first one)' },
        404: errorResponse('`session_not_found`: `session_id` is not one of the caller\'s sessions'),
        409: errorResponse('`no_active_session`, `session_cannot_send` (e.g. logged out) or `idempotency_conflict`'),
        ...commonErrors,
        ...bodyErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const headerKey = c.req.valid('header')['idempotency-key'];
      if (headerKey !== undefined && body.idempotency_key !== undefined && headerKey !== body.idempotency_key) {
        throw new ApiError(400, 'idempotency_key_mismatch', 'The Idempotency-Key header and the body\'s idempotency_key differ');
      }
      const key = body.idempotency_key ?? headerKey ?? null;
      const to = normalizePhoneNumber(body.to, config.defaultCountry);
      if (!to) {
        throw new ApiError(400, 'invalid_phone_number', `to: "${body.to}" is not a valid phone number (use E.164, like +14155552671)`);
      }
      const requested: Requested = { sessionId: body.session_id, to, text: body.text };
      const db = c.get('db');
      const userId = c.get('user').id;
      const replay = (row: OutboundRow) => {
        if (!isSameRequest(row, requested)) throw idempotencyConflict();
        c.header('Idempotent-Replayed', 'true');
        return c.json(toOutboundView(row), 202);
      };

      if (key !== null) {
        const existing = await findOutboundByKey(db, userId, key);
        if (existing) return replay(existing);
      }
      const session = body.session_id ? await findSession(db, body.session_id) : await findActiveSession(db, userId);
      if (!session) {
        throw body.session_id
          ? new ApiError(404, 'session_not_found', 'No such session')
          : new ApiError(409, 'no_active_session', 'No active WhatsApp session: link WhatsApp first (POST /sessions)');
      }
      if (!isActiveStatus(session.status)) {
        throw new ApiError(409, 'session_cannot_send', `The session is ${session.status} and cannot send: link WhatsApp again`);
      }
      const result = await insertOutbound(db, { session_id: session.id, user_id: userId, recipient: to, text: body.text, idempotency_key: key });
      if ('duplicateKey' in result) {
        // A concurrent request with the same key won the insert: answer with its row.
        const winner = await findOutboundByKey(db, userId, key!);
        if (!winner) throw new ApiError(500, 'internal_error', 'Something went wrong on our side', { cause: 'idempotency row vanished' });
        return replay(winner);
      }
      return c.json(toOutboundView(result.inserted), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/messages',
      tags: ['Messages'],
      summary: 'Recent messages, outbound and inbound, newest first',
      description: 'One merged, newest-first list of what the user sent and received. Pass `next_cursor` back as `cursor` ' +
        'for the next page; it is null on the last page.',
      security: bearerSecurity,
      middleware: guard,
      request: { query: ListMessagesQuery },
      responses: {
        200: { content: { 'application/json': { schema: MessagePageSchema } }, description: 'A page of messages' },
        404: errorResponse('`session_not_found`: `session_id` is not one of the caller\'s sessions'),
        ...commonErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
      const db = c.get('db');
      if (query.session_id && !(await findSession(db, query.session_id))) {
        throw new ApiError(404, 'session_not_found', 'No such session');
      }
      const { items, hasMore } = await listMessages(db, { userId: c.get('user').id, sessionId: query.session_id }, cursor, query.limit);
      const last = items.at(-1);
      return c.json({ messages: items.map(toListedView), next_cursor: hasMore && last ? encodeCursor(last) : null }, 200);
    },
  );
}
