// /sessions: start linking, read the current or one session, and send it commands.
import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../_shared/api-error.ts';
import { normalizePhoneNumber } from '../../_shared/phone.ts';
import { bodyErrors, commonErrors, errorResponse, rateLimitError, SessionIdParams } from '../schemas/common.ts';
import { CommandSchema, LinkRequestSchema, SessionSchema } from '../schemas/session.ts';
import {
  findActiveSession,
  findLatestSession,
  findSession,
  requestCommand,
  requestLink,
  type SessionCommand,
} from '../store/sessions.ts';
import { type App, bearerSecurity, type RouteDeps } from './deps.ts';
import { toCommandView, toSessionView } from './views.ts';

const sessionJson = (description: string) => ({ content: { 'application/json': { schema: SessionSchema } }, description });

export function registerSessionRoutes(app: App, deps: RouteDeps): void {
  const { config } = deps;
  const guard = [deps.requireUser, deps.limitSessions];

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sessions',
      tags: ['Sessions'],
      summary: 'Start linking WhatsApp, or get the active / linking session',
      description: 'Creates a session and asks the connector to link it (QR code by default, or a pairing code for `phone`). ' +
        'If the user already has an active or linking session, that one is returned (200) instead of a new one (201). ' +
        'Watch the session row through Supabase Realtime, or poll GET /sessions/{id}, for the QR code and the status.',
      security: bearerSecurity,
      middleware: guard,
      request: {
        body: { content: { 'application/json': { schema: LinkRequestSchema, example: { method: 'qr' } } }, required: false },
      },
      responses: {
        201: sessionJson('A new session was created and a link requested'),
        200: sessionJson('The user already had an active or linking session'),
        ...commonErrors,
        ...bodyErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const body = c.req.valid('json') as Partial<z.infer<typeof LinkRequestSchema>>;
      const method = body.method ?? 'qr';
      let phone: string | null = null;
      if (body.phone !== undefined) {
        phone = normalizePhoneNumber(body.phone, config.defaultCountry);
        if (!phone) throw new ApiError(400, 'invalid_phone_number', `phone: "${body.phone}" is not a valid phone number (use E.164, like +14155552671)`);
      }
      if (method === 'pairing_code' && !phone) {
        throw new ApiError(400, 'phone_required', 'phone: a pairing code needs the WhatsApp number to link');
      }
      const db = c.get('db');
      const before = await findActiveSession(db, c.get('user').id);
      const row = await requestLink(db, method, method === 'pairing_code' ? phone : null);
      const created = before?.id !== row.id;
      c.header('Location', `${config.publicUrl}/whatsapp/sessions/${row.id}`);
      return created ? c.json(toSessionView(row), 201) : c.json(toSessionView(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/current',
      tags: ['Sessions'],
      summary: 'The user\'s current session',
      description: 'The active or linking session; if there is none, the most recent one (e.g. `logged_out`, with `last_error`).',
      security: bearerSecurity,
      middleware: guard,
      responses: {
        200: sessionJson('The current session'),
        404: errorResponse('`no_session`: the user never started linking'),
        ...commonErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const db = c.get('db');
      const userId = c.get('user').id;
      const row = (await findActiveSession(db, userId)) ?? (await findLatestSession(db, userId));
      if (!row) throw new ApiError(404, 'no_session', 'No WhatsApp session yet: POST /sessions to start linking');
      return c.json(toSessionView(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}',
      tags: ['Sessions'],
      summary: 'One of the user\'s sessions',
      security: bearerSecurity,
      middleware: guard,
      request: { params: SessionIdParams },
      responses: {
        200: sessionJson('The session'),
        404: errorResponse('`session_not_found`: no such session, or not the caller\'s'),
        ...commonErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await findSession(c.get('db'), id);
      if (!row) throw new ApiError(404, 'session_not_found', 'No such session');
      return c.json(toSessionView(row), 200);
    },
  );

  const commands: Record<SessionCommand, string> = {
    reconnect: 'Reconnect a linked session (no new QR code)',
    disconnect: 'Disconnect, keeping the link (reconnect later without a QR code)',
    logout: 'Log out: unlink the device and delete its credentials',
  };
  for (const [command, summary] of Object.entries(commands) as [SessionCommand, string][]) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/sessions/{id}/${command}`,
        tags: ['Sessions'],
        summary,
        description: 'Queues a command for the connector and returns it (202). Its status moves pending → running → done / failed.',
        security: bearerSecurity,
        middleware: guard,
        request: { params: SessionIdParams },
        responses: {
          202: { content: { 'application/json': { schema: CommandSchema } }, description: 'The queued command' },
          404: errorResponse('`session_not_found`: no such session, or not the caller\'s'),
          409: errorResponse('`session_state_conflict`: the session\'s state does not allow this command'),
          ...commonErrors,
          ...rateLimitError,
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const row = await requestCommand(c.get('db'), id, command);
        return c.json(toCommandView(row), 202);
      },
    );
  }
}
