// /settings: the caller's messaging settings (pacing, default country, history import, media cap, typing,
// webhook, paused) and the webhook signing secret, which is returned once, when it is created, and never again.
import { createRoute } from '@hono/zod-openapi';
import { ApiError } from '../../_shared/api-error.ts';
import { isKnownCountry } from '../../_shared/phone.ts';
import { checkWebhookUrl } from '../../_shared/webhook-url.ts';
import { bodyErrors, commonErrors, errorResponse, rateLimitError } from '../schemas/common.ts';
import {
  type MessagingConfig, RotateSecretSchema, SaveSettingsSchema, SettingsSchema, type SettingsView, WebhookSecretSchema,
} from '../schemas/settings.ts';
import { findSettings, rotateSecret, saveSettings, secretCreatedAt, type SettingsRow } from '../store/settings.ts';
import { type App, bearerSecurity, type RouteDeps } from './deps.ts';

function toSettingsView(row: SettingsRow | null, secret: SettingsView['webhook_secret']): SettingsView {
  return {
    platform: 'whatsapp',
    name: row?.name ?? null,
    active: row?.active ?? true,
    config: row?.config ?? {},
    webhook_secret: secret,
    updated_at: row?.updated_at ?? null,
  };
}

function checkConfig(config: MessagingConfig, allowPrivate: boolean): void {
  if (config.default_country && !isKnownCountry(config.default_country)) {
    throw new ApiError(400, 'invalid_settings', `config.default_country: ${config.default_country} is not a known country code`);
  }
  const url = config.webhook?.url;
  if (url) {
    const problem = checkWebhookUrl(url, allowPrivate);
    if (problem === 'private') {
      throw new ApiError(400, 'webhook_url_not_allowed', 'config.webhook.url: loopback, private and local addresses are not allowed as webhook endpoints');
    }
    if (problem) throw new ApiError(400, 'invalid_webhook_url', 'config.webhook.url: must be an http(s) URL without credentials');
  }
}

export function registerSettingsRoutes(app: App, deps: RouteDeps): void {
  const { config } = deps;
  const guard = [deps.requireUser, deps.limitSettings];
  const settingsJson = (description: string) => ({ content: { 'application/json': { schema: SettingsSchema } }, description });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/settings',
      tags: ['Settings'],
      summary: 'The user\'s messaging settings',
      description: 'Never saved settings come back as defaults (`updated_at: null`). The webhook secret is never returned: ' +
        '`webhook_secret.set` says whether one exists.',
      security: bearerSecurity,
      middleware: guard,
      responses: { 200: settingsJson('The settings'), ...commonErrors, ...rateLimitError },
    }),
    async (c) => {
      const db = c.get('db');
      const [row, createdAt] = await Promise.all([findSettings(db, c.get('user').id), secretCreatedAt(db)]);
      return c.json(toSettingsView(row, { set: createdAt !== null, created_at: createdAt }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/settings',
      tags: ['Settings'],
      summary: 'Save the messaging settings',
      description: 'Replaces the settings (absent fields go back to their defaults). The connector applies them to the next ' +
        'send without a restart. The first time a webhook URL is saved a signing secret is created and returned in ' +
        '`webhook_secret.value`, this once.',
      security: bearerSecurity,
      middleware: guard,
      request: {
        body: {
          content: {
            'application/json': {
              schema: SaveSettingsSchema,
              example: { name: 'Ventas', active: true, config: { pacing: { min_interval_ms: 1500, jitter_ms: 500 }, default_country: 'ES', webhook: { url: 'https://crm.example.com/hooks/whatsapp', enabled: true } } },
            },
          },
          required: true,
        },
      },
      responses: {
        200: settingsJson('The saved settings'),
        400: errorResponse('`validation_failed`, `unknown_field`, `invalid_settings`, `invalid_webhook_url` or `webhook_url_not_allowed`'),
        401: commonErrors[401],
        500: commonErrors[500],
        ...bodyErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const settingsConfig = body.config ?? {};
      checkConfig(settingsConfig, config.webhookAllowPrivate);
      const db = c.get('db');
      const row = await saveSettings(db, { name: body.name ?? null, active: body.active ?? true, config: settingsConfig });
      let createdAt = await secretCreatedAt(db);
      let value: string | undefined;
      if (createdAt === null && settingsConfig.webhook?.url) {
        value = await rotateSecret(db, null);
        createdAt = await secretCreatedAt(db);
        c.header('Cache-Control', 'no-store');
      }
      return c.json(toSettingsView(row, { set: createdAt !== null, created_at: createdAt, ...(value ? { value } : {}) }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/settings/webhook-secret',
      tags: ['Settings'],
      summary: 'Create or replace the webhook signing secret',
      description: 'Sets a new secret (yours, or a random one) and returns it this once. Deliveries from now on are signed ' +
        'with it (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).',
      security: bearerSecurity,
      middleware: guard,
      request: { body: { content: { 'application/json': { schema: RotateSecretSchema } }, required: false } },
      responses: {
        201: { content: { 'application/json': { schema: WebhookSecretSchema } }, description: 'The new secret, shown this once' },
        400: errorResponse('`validation_failed`, `unknown_field` or `invalid_webhook_secret`'),
        401: commonErrors[401],
        500: commonErrors[500],
        ...bodyErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const body = c.req.valid('json') as { secret?: string };
      const db = c.get('db');
      const secret = await rotateSecret(db, body.secret ?? null);
      const createdAt = await secretCreatedAt(db);
      c.header('Cache-Control', 'no-store');
      return c.json({ secret, created_at: createdAt ?? new Date().toISOString() }, 201);
    },
  );
}
