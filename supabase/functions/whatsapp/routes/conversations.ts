// /conversations: one row per contact (the whatsapp_conversations view under RLS), newest last message first, paged.
import { createRoute } from '@hono/zod-openapi';
import { ApiError } from '../../_shared/api-error.ts';
import { commonErrors, errorResponse, rateLimitError } from '../schemas/common.ts';
import { ConversationListSchema, ListConversationsQuery } from '../schemas/conversation.ts';
import { listConversations } from '../store/contacts.ts';
import { decodeConversationCursor, encodeConversationCursor } from '../store/cursor.ts';
import { findSession } from '../store/sessions.ts';
import { type App, bearerSecurity, type RouteDeps } from './deps.ts';
import { toConversationView } from './views.ts';

export function registerConversationRoutes(app: App, deps: RouteDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/conversations',
      tags: ['Messages'],
      summary: 'Conversations: who, the last message, unread count',
      description: 'One entry per contact the user exchanged messages with, newest last message first (ties on the time by ' +
        '`contact_id`): the phone number when ' +
        'WhatsApp gave it, otherwise `phone_number` null, `number_hidden` true and the contact\'s name (a LID is never shown ' +
        'as a phone number); the last message either way (received, typed on the phone, or sent through the API); ' +
        '`unread_count` = the contact\'s messages after our last one. The same rows as the `whatsapp_conversations` view ' +
        '(supabase-js `from(\'whatsapp_conversations\')`). Pages of `limit` (at most 200): pass `next_cursor` back as `cursor` ' +
        'for the next page; it is null on the last page. A conversation that gets a new message meanwhile moves to the top ' +
        '(the first page shows it); the others are listed once each.',
      security: bearerSecurity,
      middleware: [deps.requireUser, deps.limitMessages],
      request: { query: ListConversationsQuery },
      responses: {
        200: { content: { 'application/json': { schema: ConversationListSchema } }, description: 'The conversations' },
        404: errorResponse('`session_not_found`: `session_id` is not one of the caller\'s sessions'),
        ...commonErrors,
        400: errorResponse('`validation_failed` (e.g. `limit` not 1–200) or `invalid_cursor`: `cursor` is not a `next_cursor` this API returned'),
        ...rateLimitError,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const cursor = query.cursor ? decodeConversationCursor(query.cursor) : undefined;
      const db = c.get('db');
      if (query.session_id && !(await findSession(db, query.session_id))) {
        throw new ApiError(404, 'session_not_found', 'No such session');
      }
      const filter = { userId: c.get('user').id, sessionId: query.session_id };
      const { rows, hasMore } = await listConversations(db, filter, cursor, query.limit);
      const last = rows.at(-1);
      const next = hasMore && last ? encodeConversationCursor({ t: last.last_message_at!, c: last.contact_id! }) : null;
      return c.json({ conversations: rows.map(toConversationView), next_cursor: next }, 200);
    },
  );
}
