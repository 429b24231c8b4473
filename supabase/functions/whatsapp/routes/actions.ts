// What a rep does to an earlier message, as on the phone: react (and take the reaction back), edit or delete for
// everyone a message the CRM sent, mark a message or a whole conversation read, reply quoting a message. Each
// queues a row the connector claims and sends like a message (follow it through Realtime or the row's status);
// what WhatsApp would refuse is refused here first, with a stable code and nothing queued.
import { createRoute, type z } from '@hono/zod-openapi';
import { ApiError } from '../../_shared/api-error.ts';
import { normalizePhoneNumber } from '../../_shared/phone.ts';
import type { RepActionType } from '../../_shared/rep-actions.ts';
import {
  ActionBody, ActionHeaders, ContactParams, ConversationReadSchema, EditBody, ReactBody, RepActionSchema, ReplyBody, SessionQuery, WaMessageParams,
} from '../schemas/action.ts';
import { bodyErrors, commonErrors, errorResponse, rateLimitError } from '../schemas/common.ts';
import { OutboundMessageSchema } from '../schemas/message.ts';
import { findRepAction, inboundContactOf, insertRepAction, markConversationRead, replyRecipient, toActionView } from '../store/actions.ts';
import { insertOutbound, type OutboundRow } from '../store/messages.ts';
import { findActiveSession, findSession, isActiveStatus } from '../store/sessions.ts';
import type { Db } from '../types.ts';
import { type App, bearerSecurity, type RouteDeps } from './deps.ts';
import { concurrentRequest, earlierRequest, requestKey } from './idempotency.ts';
import { toOutboundView } from './views.ts';

/** The session the action goes through: the named one, else the active one; it must be able to send. */
async function sendingSession(db: Db, userId: string, sessionId: string | undefined): Promise<string> {
  const session = sessionId ? await findSession(db, sessionId) : await findActiveSession(db, userId);
  if (!session) {
    throw sessionId ? new ApiError(404, 'session_not_found', 'No such session')
      : new ApiError(409, 'no_active_session', 'No active WhatsApp session: link WhatsApp first (POST /sessions)');
  }
  if (!isActiveStatus(session.status)) throw new ApiError(409, 'session_cannot_send', `The session is ${session.status} and cannot send`);
  return session.id;
}

const queued = { content: { 'application/json': { schema: RepActionSchema } }, description: 'The queued action (or, for a replayed Idempotency-Key, the first one)' };
const keyConflict = '`idempotency_conflict`: the Idempotency-Key was used for another request';
/** The Idempotency-Key header (routes that take no idempotency_key in the body). */
const headerKey = (c: { req: { valid(target: never): unknown } }) =>
  requestKey((c.req.valid('header' as never) as { 'idempotency-key'?: string })['idempotency-key']);
/** A stored row replays this request when it is the same action on the same message (in the session asked for). */
const sameAction = (type: string, target: string, text: string | null, sessionId: string | undefined) => (row: OutboundRow) =>
  row.content_type === type && row.target_wa_message_id === target && row.text === text && (sessionId === undefined || row.session_id === sessionId);
const targetErrors = (forbidden: string | null, conflicts: string) => ({
  404: errorResponse('`target_not_found`: no message with that id in this session; `session_not_found`'),
  ...(forbidden ? { 403: errorResponse(forbidden) } : {}),
  409: errorResponse(`${conflicts}; \`no_active_session\`, \`session_cannot_send\`; ${keyConflict}`),
});

interface ActionSpec {
  method: 'post' | 'delete';
  path: string;
  type: RepActionType;
  summary: string;
  description: string;
  body?: z.ZodType;
  errors: ReturnType<typeof targetErrors>;
  text(body: Record<string, unknown>): string | null;
  /** SQLSTATE 23514 (the row's check constraint) for this action, e.g. not one emoji */
  invalid?: readonly [string, string];
}

const ACTIONS: ActionSpec[] = [
  {
    method: 'post', path: '/messages/{wa_message_id}/reaction', type: 'reaction', summary: 'React to a message',
    description: 'Reacts with one emoji to a message of the session (received or sent); a new reaction replaces ours.',
    body: ReactBody, text: (b) => b.emoji as string, invalid: ['invalid_emoji', 'emoji must be one emoji (no letters, digits or spaces)'],
    errors: targetErrors(null, '`recipient_unknown`: the chat has neither a phone number nor a LID'),
  },
  {
    method: 'delete', path: '/messages/{wa_message_id}/reaction', type: 'reaction', summary: 'Remove our reaction',
    description: 'Takes our reaction to the message back (the contact\'s phone shows none).', text: () => '',
    errors: targetErrors(null, '`recipient_unknown`: the chat has neither a phone number nor a LID'),
  },
  {
    method: 'post', path: '/messages/{wa_message_id}/edit', type: 'edit', summary: 'Edit a message the CRM sent',
    description: 'Replaces the text of a text message the CRM sent, within WhatsApp\'s 15 minutes after sending.',
    body: EditBody, text: (b) => b.text as string,
    errors: targetErrors('`not_your_message`: only messages the CRM sent can be edited',
      '`target_not_sent` (not on WhatsApp yet), `target_deleted`, `not_editable` (not a text), `edit_window_passed` (more than 15 minutes)'),
  },
  {
    method: 'post', path: '/messages/{wa_message_id}/revoke', type: 'revoke', summary: 'Delete a message for everyone',
    description: 'Deletes a message the CRM sent for everyone, within WhatsApp\'s 2 days and 12 hours after sending.',
    body: ActionBody, text: () => null,
    errors: targetErrors('`not_your_message`: only messages the CRM sent can be deleted for everyone',
      '`target_not_sent`, `target_deleted`, `delete_window_passed` (more than 2 days and 12 hours)'),
  },
  {
    method: 'post', path: '/messages/{wa_message_id}/read', type: 'read', summary: 'Mark read up to a message',
    description: 'Sends WhatsApp\'s read receipt (blue ticks) for the chat\'s unread received messages up to this one.',
    body: ActionBody, text: () => null,
    errors: targetErrors(null, '`not_received`: a message we sent cannot be marked read; `recipient_unknown`: the chat has neither a phone number nor a LID'),
  },
];

export function registerActionRoutes(app: App, deps: RouteDeps): void {
  const guard = [deps.requireUser, deps.limitMessages];
  for (const spec of ACTIONS) {
    const request = spec.body
      ? { params: WaMessageParams, headers: ActionHeaders, body: { content: { 'application/json': { schema: spec.body } }, required: true } }
      : { params: WaMessageParams, headers: ActionHeaders, query: SessionQuery };
    app.openapi(
      createRoute({
        method: spec.method, path: spec.path, tags: ['Rep actions'], summary: spec.summary,
        description: `${spec.description} Queued for the connector (202); the row's status says when it reached WhatsApp.`,
        security: bearerSecurity, middleware: guard, request,
        responses: { 202: queued, ...commonErrors, ...(spec.body ? bodyErrors : {}), ...spec.errors, ...rateLimitError },
      }),
      async (c) => {
        const { wa_message_id: target } = c.req.param() as { wa_message_id: string };
        const body = (spec.body ? c.req.valid('json' as never) : c.req.valid('query' as never)) as Record<string, unknown>;
        const db = c.get('db');
        const userId = c.get('user').id;
        const key = headerKey(c);
        const text = spec.text(body);
        const same = sameAction(spec.type, target, text, body.session_id as string | undefined);
        const earlier = await earlierRequest(c, key, same);
        if (earlier) return c.json(toActionView(earlier), 202);
        const sessionId = await sendingSession(db, userId, body.session_id as string | undefined);
        const action = await insertRepAction(db, { sessionId, userId, type: spec.type, target, text, idempotencyKey: key },
          spec.invalid ? { '23514': spec.invalid } : {});
        if ('duplicateKey' in action) return c.json(toActionView(await concurrentRequest(c, key!, same)), 202);
        return c.json(action, 202);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post', path: '/messages/{wa_message_id}/reply', tags: ['Rep actions'], summary: 'Reply quoting a message',
      description: 'Sends a text to the chat of the message, quoting it (the contact sees the quote above the reply).',
      security: bearerSecurity, middleware: guard,
      request: { params: WaMessageParams, headers: ActionHeaders, body: { content: { 'application/json': { schema: ReplyBody } }, required: true } },
      responses: {
        202: { content: { 'application/json': { schema: OutboundMessageSchema } }, description: 'The queued reply' },
        ...commonErrors, ...bodyErrors,
        404: errorResponse('`quoted_not_found`: no message with that id in this session; `session_not_found`'),
        409: errorResponse('`recipient_unknown`: the chat has neither a phone number nor a contact (a contact whose number is hidden is answered at its LID); ' +
          `\`no_active_session\`, \`session_cannot_send\`; ${keyConflict}`),
        ...rateLimitError,
      },
    }),
    async (c) => {
      const { wa_message_id: quoted } = c.req.valid('param');
      const body = c.req.valid('json');
      const db = c.get('db');
      const userId = c.get('user').id;
      const key = headerKey(c);
      const same = (row: OutboundRow) => row.content_type === 'text' && row.text === body.text && row.quoted_wa_message_id === quoted
        && (body.session_id === undefined || row.session_id === body.session_id);
      const earlier = await earlierRequest(c, key, same);
      if (earlier) return c.json(toOutboundView(earlier), 202);
      const sessionId = await sendingSession(db, userId, body.session_id);
      const party = await replyRecipient(db, sessionId, quoted);
      if (!party) throw new ApiError(404, 'quoted_not_found', `No message ${quoted} in this session`);
      // the phone when known, else the contact (the insert trigger addresses it to the contact's LID)
      const to = party.phone ? normalizePhoneNumber(party.phone, deps.config.defaultCountry) : null;
      if (!to && !party.contactId) throw new ApiError(409, 'recipient_unknown', 'The chat has neither a phone number nor a contact to answer');
      const result = await insertOutbound(db, {
        session_id: sessionId, user_id: userId, recipient: to, contact_id: to ? null : party.contactId, content_type: 'text', text: body.text,
        media_path: null, media_file_name: null, quoted_wa_message_id: quoted, idempotency_key: key,
      });
      if ('duplicateKey' in result) return c.json(toOutboundView(await concurrentRequest(c, key!, same)), 202);
      return c.json(toOutboundView(result.inserted), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/conversations/{contact_id}/read', tags: ['Rep actions'], summary: 'Mark a conversation read',
      description: 'Sends WhatsApp\'s read receipt for every unread message of the contact (unread_count goes to 0 once sent). ' +
        '202 with the queued action, or 200 with `action: null` when nothing was unread.',
      security: bearerSecurity, middleware: guard,
      request: { params: ContactParams, headers: ActionHeaders },
      responses: {
        200: { content: { 'application/json': { schema: ConversationReadSchema } }, description: 'Nothing was unread' },
        202: { content: { 'application/json': { schema: ConversationReadSchema } }, description: 'The queued read receipt' },
        ...commonErrors,
        404: errorResponse('`contact_not_found`: not one of the caller\'s contacts'),
        409: errorResponse(`\`recipient_unknown\`: the chat has neither a phone number nor a LID; ${keyConflict}`),
        ...rateLimitError,
      },
    }),
    async (c) => {
      const { contact_id: contactId } = c.req.valid('param');
      const db = c.get('db');
      const key = headerKey(c);
      // the same request: a read receipt queued for a message of this contact (the newest unread one back then)
      const same = async (row: OutboundRow) => row.content_type === 'read' && row.target_wa_message_id !== null
        && await inboundContactOf(db, row.session_id, row.target_wa_message_id) === contactId;
      const earlier = await earlierRequest(c, key, same);
      if (earlier) return c.json({ action: toActionView(earlier) }, 202);
      const id = await markConversationRead(db, contactId, key);
      if (id !== null && typeof id === 'object') return c.json({ action: toActionView(await concurrentRequest(c, key!, same)) }, 202);
      if (!id) return c.json({ action: null }, 200);
      return c.json({ action: await findRepAction(db, id) }, 202);
    },
  );
}
