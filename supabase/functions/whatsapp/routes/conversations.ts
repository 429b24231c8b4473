// /conversations: one row per contact (the whatsapp_conversations view under RLS), most recent activity first.
import { createRoute } from '@hono/zod-openapi';
import { ApiError } from '../../_shared/api-error.ts';
import { commonErrors, errorResponse, rateLimitError } from '../schemas/common.ts';
import { ConversationListSchema, ListConversationsQuery } from '../schemas/conversation.ts';
import { listConversations } from '../store/contacts.ts';
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
      description: 'One entry per contact the user exchanged messages with, most recent activity first: the phone number when ' +
        'WhatsApp gave it, otherwise `phone_number` null, `number_hidden` true and the contact\'s name (a LID is never shown ' +
        'as a phone number); the last message either way (received, typed on the phone, or sent through the API); ' +
        '`unread_count` = the contact\'s messages after our last one. The same rows as the `whatsapp_conversations` view ' +
        '(supabase-js `from(\'whatsapp_conversations\')`), which also pages and filters.',
      security: bearerSecurity,
      middleware: [deps.requireUser, deps.limitMessages],
      request: { query: ListConversationsQuery },
      responses: {
        200: { content: { 'application/json': { schema: ConversationListSchema } }, description: 'The conversations' },
        404: errorResponse('`session_not_found`: `session_id` is not one of the caller\'s sessions'),
        ...commonErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const db = c.get('db');
      if (query.session_id && !(await findSession(db, query.session_id))) {
        throw new ApiError(404, 'session_not_found', 'No such session');
      }
      const rows = await listConversations(db, { userId: c.get('user').id, sessionId: query.session_id }, query.limit);
      return c.json({ conversations: rows.map(toConversationView) }, 200);
    },
  );
}
