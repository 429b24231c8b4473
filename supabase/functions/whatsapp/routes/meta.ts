// /health, /openapi.json and /docs: no sign-in needed.
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponse } from '../schemas/common.ts';
import { renderDocsPage } from '../docs/render-docs.ts';
import type { App, RouteDeps } from './deps.ts';

export const API_TITLE = 'WhatsApp Lite API';
export const API_VERSION = '1.0.0';

const HealthSchema = z.object({
  status: z.literal('ok'),
  service: z.literal('whatsapp'),
  version: z.string(),
  time: z.string().openapi({ format: 'date-time' }),
}).openapi('Health');

export function openApiDocument(app: App, deps: RouteDeps) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The signed-in user\'s Supabase access token (session.access_token)',
  });
  return () => app.getOpenAPIDocument({
    openapi: '3.0.3',
    info: {
      title: API_TITLE,
      version: API_VERSION,
      description: 'Link a user\'s WhatsApp number and send and read WhatsApp messages. Every route except /health, ' +
        '/openapi.json and /docs needs the signed-in user\'s Supabase access token as `Authorization: Bearer <jwt>`. ' +
        'Errors are `{ "error": { "code", "message" } }` with stable snake_case codes.',
    },
    servers: [{ url: deps.config.publicUrl, description: 'Supabase Edge Functions' }],
  });
}

export function registerMetaRoutes(app: App, deps: RouteDeps): void {
  const getDocument = openApiDocument(app, deps);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      tags: ['Meta'],
      summary: 'Liveness check',
      responses: { 200: { content: { 'application/json': { schema: HealthSchema } }, description: 'The function is up' } },
    }),
    (c) => c.json({ status: 'ok' as const, service: 'whatsapp' as const, version: API_VERSION, time: new Date().toISOString() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/openapi.json',
      tags: ['Meta'],
      summary: 'This API as an OpenAPI 3.0 document',
      responses: {
        200: { content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } }, description: 'The OpenAPI document' },
        500: errorResponse('`internal_error`'),
      },
    }),
    (c) => c.json(getDocument() as unknown as Record<string, unknown>, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/docs',
      tags: ['Meta'],
      summary: 'Human-readable API documentation with a built-in console',
      responses: { 200: { content: { 'text/html': { schema: z.string() } }, description: 'A self-contained HTML page' } },
    }),
    (c) => c.html(renderDocsPage(getDocument() as unknown as Parameters<typeof renderDocsPage>[0])),
  );
}
