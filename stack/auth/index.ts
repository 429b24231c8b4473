// /auth/v1: the email/password subset of GoTrue that auth-js 2.x uses, on GoTrue's own tables.
// Autoconfirm (no e-mail), like `supabase start` with enable_confirmations = false.
import bcrypt from 'bcryptjs';
import { jwtVerify } from 'jose';
import type postgres from 'postgres';
import type { Logger } from 'pino';
import { bearerToken, sendEmpty, sendJson, type ServiceHandler, type ServiceRequest } from '../gateway/index.ts';
import { AuthError, authErrors, sendAuthError } from './errors.ts';
import { createAuthStore, type AuthStore } from './store.ts';
import { toSessionJson, toUserJson, type TokenSettings } from './tokens.ts';

export interface AuthServiceOptions extends TokenSettings {
  sql: postgres.Sql;
  logger: Logger;
  minimumPasswordLength?: number;
}

const BCRYPT_COST = 10; // GoTrue's bcrypt.DefaultCost
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;

interface VerifiedUserToken {
  sub: string;
  role: string;
  session_id?: string;
}

export function createAuthService(options: AuthServiceOptions): ServiceHandler {
  const store = createAuthStore(options.sql);
  const minPassword = options.minimumPasswordLength ?? 6;
  const log = options.logger;

  return async function handleAuth(request: ServiceRequest): Promise<void> {
    const { req, res, path } = request;
    try {
      const method = req.method ?? 'GET';
      if (method === 'GET' && path === '/health') {
        sendJson(res, 200, { version: 'local-dev', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' });
      } else if (method === 'GET' && path === '/settings') {
        sendJson(res, 200, settingsJson());
      } else if (method === 'GET' && path === '/.well-known/jwks.json') {
        sendJson(res, 200, { keys: [] }); // HS256 only: auth-js falls back to GET /user
      } else if (method === 'POST' && path === '/signup') {
        await signUp(request, store);
      } else if (method === 'POST' && path === '/token') {
        await token(request, store);
      } else if (method === 'GET' && path === '/user') {
        const { user } = await requireUser(request);
        sendJson(res, 200, toUserJson(user));
      } else if (method === 'PUT' && path === '/user') {
        await updateUser(request);
      } else if (method === 'POST' && path === '/logout') {
        await logout(request);
      } else if (path === '/admin/users' || path.startsWith('/admin/users/')) {
        await admin(request);
      } else if (['/otp', '/verify', '/recover', '/magiclink', '/invite', '/factors', '/authorize', '/callback'].includes(path)) {
        throw authErrors.notImplemented(path);
      } else {
        throw authErrors.notFound();
      }
    } catch (error) {
      if (error instanceof AuthError) {
        request.req.resume();
        sendAuthError(res, error);
        return;
      }
      if (error instanceof Error && error.name === 'PayloadTooLargeError') throw error;
      log.error({ err: error, path }, 'auth: unexpected error');
      sendJson(res, 500, { code: 500, error_code: 'unexpected_failure', msg: 'Unexpected failure, please check server logs for more information' });
    }
  };

  async function signUp(request: ServiceRequest, authStore: AuthStore): Promise<void> {
    const body = await jsonBody(request);
    const email = stringField(body, 'email');
    const password = stringField(body, 'password');
    if (!email) {
      if (stringField(body, 'phone')) throw authErrors.notImplemented('Phone sign-up');
      throw authErrors.validation('To signup, please provide your email');
    }
    if (!EMAIL_PATTERN.test(email)) throw authErrors.validation('Unable to validate email address: invalid format');
    if (!password) throw new AuthError(422, 'validation_failed', 'Signup requires a valid password');
    if (password.length < minPassword) throw authErrors.weakPassword(minPassword);
    const data = isObject(body.data) ? body.data : {};
    const user = await authStore.createUser({
      email,
      passwordHash: await bcrypt.hash(password, BCRYPT_COST),
      userMetadata: data,
      confirmed: true,
    });
    const { sessionId, refreshToken } = await authStore.createSession(user.id);
    const fresh = (await authStore.findUserById(user.id)) ?? user;
    sendJson(request.res, 200, await toSessionJson(options, fresh, sessionId, refreshToken));
  }

  async function token(request: ServiceRequest, authStore: AuthStore): Promise<void> {
    const grant = request.query.get('grant_type');
    const body = await jsonBody(request);
    if (grant === 'password') {
      const email = stringField(body, 'email');
      const password = stringField(body, 'password');
      if (!email) throw authErrors.validation(stringField(body, 'phone') ? 'Phone logins are not supported here' : 'missing email or phone');
      if (!password) throw authErrors.invalidCredentials();
      const user = await authStore.findUserByEmail(email);
      const valid = Boolean(user?.encrypted_password) && (await bcrypt.compare(password, user!.encrypted_password!));
      if (!user || !valid) throw authErrors.invalidCredentials();
      if (user.banned_until && user.banned_until > new Date()) throw new AuthError(400, 'user_banned', 'User is banned');
      const { sessionId, refreshToken } = await authStore.createSession(user.id);
      const fresh = (await authStore.findUserById(user.id)) ?? user;
      sendJson(request.res, 200, await toSessionJson(options, fresh, sessionId, refreshToken));
      return;
    }
    if (grant === 'refresh_token') {
      const presented = stringField(body, 'refresh_token');
      if (!presented) throw authErrors.refreshNotFound();
      const rotated = await authStore.rotateRefreshToken(presented);
      const user = await authStore.findUserById(rotated.userId);
      if (!user) throw authErrors.refreshNotFound();
      sendJson(request.res, 200, await toSessionJson(options, user, rotated.sessionId, rotated.refreshToken));
      return;
    }
    throw authErrors.unsupportedGrant();
  }

  async function updateUser(request: ServiceRequest): Promise<void> {
    const { user } = await requireUser(request);
    const body = await jsonBody(request);
    const email = stringField(body, 'email');
    const password = stringField(body, 'password');
    if (email !== undefined && !EMAIL_PATTERN.test(email)) throw authErrors.validation('Unable to validate email address: invalid format');
    if (password !== undefined && password.length < minPassword) throw authErrors.weakPassword(minPassword);
    const updated = await store.updateUser(user.id, {
      email,
      passwordHash: password === undefined ? undefined : await bcrypt.hash(password, BCRYPT_COST),
      userMetadata: isObject(body.data) ? body.data : undefined,
    });
    sendJson(request.res, 200, toUserJson(updated));
  }

  async function logout(request: ServiceRequest): Promise<void> {
    const { user, claims } = await requireUser(request);
    const scopeParam = request.query.get('scope') ?? 'global';
    if (scopeParam !== 'global' && scopeParam !== 'local' && scopeParam !== 'others') {
      throw authErrors.validation(`Unsupported logout scope "${scopeParam}"`);
    }
    await store.endSessions(user.id, claims.session_id, scopeParam);
    sendEmpty(request.res, 204);
  }

  async function admin(request: ServiceRequest): Promise<void> {
    const claims = await verifyToken(request);
    if (claims.role !== 'service_role') throw authErrors.notAdmin();
    const { req, res } = request;
    const id = request.path.slice('/admin/users/'.length) || undefined;
    if (!id && req.method === 'GET') {
      const page = Math.max(1, Number(request.query.get('page') ?? 1) || 1);
      const perPage = Math.min(1000, Math.max(1, Number(request.query.get('per_page') ?? 50) || 50));
      const users = await store.listUsers(page, perPage);
      sendJson(res, 200, { users: users.map(toUserJson), aud: 'authenticated' });
    } else if (!id && req.method === 'POST') {
      const body = await jsonBody(request);
      const email = stringField(body, 'email');
      const password = stringField(body, 'password');
      if (!email || !EMAIL_PATTERN.test(email)) throw authErrors.validation('Unable to validate email address: invalid format');
      if (password !== undefined && password.length < minPassword) throw authErrors.weakPassword(minPassword);
      if (await store.findUserByEmail(email)) throw authErrors.emailExists();
      const user = await store.createUser({
        email,
        passwordHash: password === undefined ? null : await bcrypt.hash(password, BCRYPT_COST),
        userMetadata: isObject(body.user_metadata) ? body.user_metadata : {},
        appMetadata: isObject(body.app_metadata) ? body.app_metadata : {},
        confirmed: body.email_confirm === true,
      });
      sendJson(res, 200, toUserJson(user));
    } else if (id && /^[0-9a-f-]{36}$/i.test(id)) {
      if (req.method === 'GET') {
        const user = await store.findUserById(id);
        if (!user) throw authErrors.userNotFound();
        sendJson(res, 200, toUserJson(user));
      } else if (req.method === 'PUT') {
        const body = await jsonBody(request);
        const password = stringField(body, 'password');
        const user = await store.updateUser(id, {
          email: stringField(body, 'email'),
          passwordHash: password === undefined ? undefined : await bcrypt.hash(password, BCRYPT_COST),
          userMetadata: isObject(body.user_metadata) ? body.user_metadata : undefined,
          appMetadata: isObject(body.app_metadata) ? body.app_metadata : undefined,
        });
        sendJson(res, 200, toUserJson(user));
      } else if (req.method === 'DELETE') {
        const user = await store.findUserById(id);
        if (!user || !(await store.deleteUser(id))) throw authErrors.userNotFound();
        sendJson(res, 200, toUserJson(user));
      } else {
        throw authErrors.notFound();
      }
    } else {
      throw authErrors.userNotFound();
    }
  }

  async function verifyToken(request: ServiceRequest): Promise<VerifiedUserToken & Record<string, unknown>> {
    const token = bearerToken(request.req);
    if (!token) throw authErrors.noAuthorization();
    if (token.split('.').length !== 3) throw authErrors.badJwt('token is malformed: token contains an invalid number of segments');
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(options.jwtSecret), { algorithms: ['HS256'] });
      return payload as unknown as VerifiedUserToken & Record<string, unknown>;
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw authErrors.badJwt(code === 'ERR_JWT_EXPIRED' ? 'token has invalid claims: token is expired' : 'signature is invalid');
    }
  }

  async function requireUser(request: ServiceRequest) {
    const claims = await verifyToken(request);
    if (!claims.sub) throw authErrors.badJwt('invalid claim: missing sub claim');
    if (claims.session_id && !(await store.sessionExists(claims.session_id))) throw authErrors.sessionNotFound();
    const user = await store.findUserById(claims.sub);
    if (!user) throw new AuthError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
    return { user, claims };
  }
}

async function jsonBody(request: ServiceRequest): Promise<Record<string, unknown>> {
  const raw = (await request.body()).toString('utf8').trim();
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!isObject(parsed)) throw authErrors.badJson('expected a JSON object');
    return parsed;
  } catch (error) {
    if (error instanceof AuthError) throw error;
    throw authErrors.badJson((error as Error).message);
  }
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function settingsJson() {
  return {
    external: { email: true, phone: false, anonymous_users: false, apple: false, github: false, google: false },
    disable_signup: false,
    mailer_autoconfirm: true,
    phone_autoconfirm: false,
    sms_provider: '',
    saml_enabled: false,
  };
}
