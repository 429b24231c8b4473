// /auth/v1: the email/password subset of GoTrue that auth-js 2.x uses, on GoTrue's own tables.
// Autoconfirm sign-ups, like `supabase start` with enable_confirmations = false; e-mail changes wait for
// the token mailed for them (mails go to the log: stack/auth/mail.ts).
// This file is the route table; the handlers live by endpoint group in *-routes.ts.
import { sendJson, type ServiceHandler, type ServiceRequest } from '../gateway/index.ts';
import { adminUsers } from './admin-routes.ts';
import type { AuthContext, AuthRouteHandler, AuthServiceOptions } from './context.ts';
import { DEFAULT_AUTH_CONFIG } from './config.ts';
import { AuthError, authErrors, sendAuthError } from './errors.ts';
import { RateLimiter } from './rate-limit.ts';
import { logout, signUp, token } from './session-routes.ts';
import { createAuthStore } from './store.ts';
import { getUser, updateUser } from './user-routes.ts';
import { verify } from './verify-routes.ts';

export type { AuthServiceOptions } from './context.ts';

interface AuthRoute {
  method?: string;
  matches: (path: string) => boolean;
  handler: AuthRouteHandler;
}

// GoTrue routes auth-js calls that this stack does not serve: 422 not_implemented naming the route, never
// GoTrue's "404 Not Found" for a route that does not exist (which would read as a wrong URL).
const NOT_IMPLEMENTED = ['/otp', '/verify', '/recover', '/magiclink', '/invite', '/authorize', '/callback', '/resend', '/reauthenticate', '/admin/generate_link'];
const NOT_IMPLEMENTED_PREFIXES = [
  '/factors', '/passkeys', '/sso', '/oauth', '/user/identities', '/user/oauth', '/admin/custom-providers', '/admin/oauth', '/admin/sso',
];
/** Routes below one admin user: MFA factors and passkeys. */
const ADMIN_USER_SUBROUTE = /^\/admin\/users\/[^/]+\/(factors|passkeys)(\/.*)?$/;

function notImplementedRoute(path: string): boolean {
  return NOT_IMPLEMENTED.includes(path) || ADMIN_USER_SUBROUTE.test(path)
    || NOT_IMPLEMENTED_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

const exactly = (wanted: string) => (path: string) => path === wanted;

const ROUTES: AuthRoute[] = [
  { method: 'GET', matches: exactly('/health'), handler: health },
  { method: 'GET', matches: exactly('/settings'), handler: settings },
  { method: 'GET', matches: exactly('/.well-known/jwks.json'), handler: jwks },
  { method: 'POST', matches: exactly('/signup'), handler: signUp },
  { method: 'POST', matches: exactly('/token'), handler: token },
  { method: 'GET', matches: exactly('/user'), handler: getUser },
  { method: 'PUT', matches: exactly('/user'), handler: updateUser },
  { method: 'POST', matches: exactly('/logout'), handler: logout },
  { method: 'POST', matches: exactly('/verify'), handler: verify },
  { matches: notImplementedRoute, handler: (_ctx, request) => Promise.reject(authErrors.notImplemented(request.path)) },
  { matches: (path) => path === '/admin/users' || path.startsWith('/admin/users/'), handler: adminUsers },
];

export function createAuthService(options: AuthServiceOptions): ServiceHandler {
  const config = options.config ?? DEFAULT_AUTH_CONFIG;
  const ctx: AuthContext = {
    options,
    store: createAuthStore(options.sql),
    minPassword: options.minimumPasswordLength ?? 6,
    config,
    limits: {
      signInSignUps: new RateLimiter(config.rateLimit.signInSignUps),
      tokenRefresh: new RateLimiter(config.rateLimit.tokenRefresh),
      tokenVerifications: new RateLimiter(config.rateLimit.tokenVerifications),
    },
  };

  return async function handleAuth(request: ServiceRequest): Promise<void> {
    const method = request.req.method ?? 'GET';
    try {
      const route = ROUTES.find((r) => r.matches(request.path) && (!r.method || r.method === method));
      if (!route) throw authErrors.notFound();
      await route.handler(ctx, request);
    } catch (error) {
      if (error instanceof AuthError) {
        request.req.resume();
        sendAuthError(request.res, error);
        return;
      }
      if (error instanceof Error && error.name === 'PayloadTooLargeError') throw error;
      options.logger.error({ err: error, path: request.path }, 'auth: unexpected error');
      sendJson(request.res, 500, { code: 500, error_code: 'unexpected_failure', msg: 'Unexpected failure, please check server logs for more information' });
    }
  };
}

async function health(_ctx: AuthContext, request: ServiceRequest): Promise<void> {
  sendJson(request.res, 200, { version: 'local-dev', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' });
}

// The public signing keys (empty in the legacy HS256 mode: auth-js getClaims then falls back to GET /user).
async function jwks(ctx: AuthContext, request: ServiceRequest): Promise<void> {
  sendJson(request.res, 200, ctx.options.jwtKeys.jwks);
}

async function settings(_ctx: AuthContext, request: ServiceRequest): Promise<void> {
  sendJson(request.res, 200, {
    external: { email: true, phone: false, anonymous_users: false, apple: false, github: false, google: false },
    disable_signup: false,
    mailer_autoconfirm: true,
    phone_autoconfirm: false,
    sms_provider: '',
    saml_enabled: false,
  });
}
