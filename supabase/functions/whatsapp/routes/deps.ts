import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config.ts';
import type { AppEnv } from '../types.ts';

export type App = OpenAPIHono<AppEnv>;

/** What route modules get from createApp: config and the shared middleware instances. */
export interface RouteDeps {
  config: Readonly<Config>;
  requireUser: MiddlewareHandler<AppEnv>;
  limitSessions: MiddlewareHandler<AppEnv>;
  limitMessages: MiddlewareHandler<AppEnv>;
  limitSettings: MiddlewareHandler<AppEnv>;
  limitWebhooks: MiddlewareHandler<AppEnv>;
}

export const bearerSecurity = [{ bearerAuth: [] }];
