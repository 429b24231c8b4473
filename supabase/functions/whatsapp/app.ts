// The `whatsapp` Edge Function as a Hono app: createApp(config) builds it (index.ts serves it; tests
// call app.request() in-process). Routes live in routes/, one file per resource.
import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import { createLogger, type Logger } from '../_shared/log.ts';
import type { Config } from './config.ts';
import { requireUser } from './middleware/auth.ts';
import { emptyBodyAsObject, limitBody } from './middleware/body.ts';
import { allowCors } from './middleware/cors.ts';
import { handleErrors, handleNotFound } from './middleware/errors.ts';
import { rateLimit, rateLimitCounter } from './middleware/rate-limit.ts';
import { rejectInvalid } from './middleware/validation.ts';
import type { RouteDeps } from './routes/deps.ts';
import { registerActionRoutes } from './routes/actions.ts';
import { registerConversationRoutes } from './routes/conversations.ts';
import { registerMessageRoutes } from './routes/messages.ts';
import { registerMetaRoutes } from './routes/meta.ts';
import { registerSessionRoutes } from './routes/sessions.ts';
import { registerSettingsRoutes } from './routes/settings.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import type { AppEnv } from './types.ts';

export const FUNCTION_NAME = 'whatsapp';

export interface CreateAppOptions {
  logger?: Logger;
}

export function createApp(config: Readonly<Config>, options: CreateAppOptions = {}) {
  const logger = options.logger ?? createLogger(FUNCTION_NAME, config.logLevel);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: rejectInvalid }).basePath(`/${FUNCTION_NAME}`);
  app.onError(handleErrors(logger));
  app.notFound(handleNotFound());

  app.use('*', requestId(), async function accessLog(c, next) {
    c.set('logger', logger);
    const started = performance.now();
    await next();
    logger.info('request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
  app.use('*', allowCors(config.allowedOrigins));
  app.on(['POST', 'PUT', 'PATCH'], '*', limitBody(config.maxBodyBytes), emptyBodyAsObject());

  const { windowSeconds } = config.rateLimits;
  const counter = rateLimitCounter(config);
  const deps: RouteDeps = {
    config,
    requireUser: requireUser({ config }),
    limitSessions: rateLimit(counter, { bucket: 'sessions', limit: config.rateLimits.sessions, windowSeconds }),
    limitMessages: rateLimit(counter, { bucket: 'messages', limit: config.rateLimits.messages, windowSeconds }),
    limitSettings: rateLimit(counter, { bucket: 'settings', limit: config.rateLimits.sessions, windowSeconds }),
    limitWebhooks: rateLimit(counter, { bucket: 'webhooks', limit: config.rateLimits.sessions, windowSeconds }),
  };
  registerMetaRoutes(app, deps);
  registerSessionRoutes(app, deps);
  registerMessageRoutes(app, deps);
  registerConversationRoutes(app, deps);
  registerActionRoutes(app, deps);
  registerSettingsRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  return app;
}

export type WhatsappApp = ReturnType<typeof createApp>;
