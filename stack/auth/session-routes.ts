// Sessions: POST /signup, POST /token (password and refresh_token grants), POST /logout.
import bcrypt from 'bcryptjs';
import { sendEmpty, sendJson } from '../gateway/index.ts';
import {
  BCRYPT_COST, enforceRateLimit, isObject, jsonBody, requireUser, stringField, validateEmail, type AuthRouteHandler,
} from './context.ts';
import { AuthError, authErrors } from './errors.ts';
import { toSessionJson } from './tokens.ts';

export const signUp: AuthRouteHandler = async (ctx, request) => {
  const { store, options, minPassword } = ctx;
  enforceRateLimit(ctx.limits.signInSignUps, request);
  const body = await jsonBody(request);
  const given = stringField(body, 'email');
  const password = stringField(body, 'password');
  if (!given) {
    if (stringField(body, 'phone')) throw authErrors.notImplemented('Phone sign-up');
    throw authErrors.validation('To signup, please provide your email');
  }
  const email = validateEmail(given);
  if (!password) throw new AuthError(422, 'validation_failed', 'Signup requires a valid password');
  if (password.length < minPassword) throw authErrors.weakPassword(minPassword);
  const data = isObject(body.data) ? body.data : {};
  const user = await store.createUser({
    email,
    passwordHash: await bcrypt.hash(password, BCRYPT_COST),
    userMetadata: data,
    confirmed: true,
  });
  const { sessionId, refreshToken } = await store.createSession(user.id);
  const fresh = (await store.findUserById(user.id)) ?? user;
  sendJson(request.res, 200, await toSessionJson(options, fresh, sessionId, refreshToken));
};

export const token: AuthRouteHandler = async (ctx, request) => {
  const { store, options } = ctx;
  const grant = request.query.get('grant_type');
  const body = await jsonBody(request);
  if (grant === 'password') {
    enforceRateLimit(ctx.limits.signInSignUps, request);
    const email = stringField(body, 'email');
    const password = stringField(body, 'password');
    if (!email) throw authErrors.validation(stringField(body, 'phone') ? 'Phone logins are not supported here' : 'missing email or phone');
    if (!password) throw authErrors.invalidCredentials();
    const user = await store.findUserByEmail(email);
    const valid = Boolean(user?.encrypted_password) && (await bcrypt.compare(password, user!.encrypted_password!));
    if (!user || !valid) throw authErrors.invalidCredentials();
    if (user.banned) throw new AuthError(400, 'user_banned', 'User is banned');
    // A user created through the admin API without email_confirm (GoTrue's token.go).
    if (!user.email_confirmed_at) throw new AuthError(400, 'email_not_confirmed', 'Email not confirmed');
    const { sessionId, refreshToken } = await store.createSession(user.id);
    const fresh = (await store.findUserById(user.id)) ?? user;
    sendJson(request.res, 200, await toSessionJson(options, fresh, sessionId, refreshToken));
    return;
  }
  if (grant === 'refresh_token') {
    enforceRateLimit(ctx.limits.tokenRefresh, request);
    const presented = stringField(body, 'refresh_token');
    if (!presented) throw authErrors.refreshNotFound();
    const rotated = await store.rotateRefreshToken(presented);
    const user = await store.findUserById(rotated.userId);
    if (!user) throw authErrors.refreshNotFound();
    sendJson(request.res, 200, await toSessionJson(options, user, rotated.sessionId, rotated.refreshToken));
    return;
  }
  // GoTrue's other grants (PKCE code exchange, OIDC id_token, Web3, passkeys): named, not "unsupported".
  if (grant && ['pkce', 'id_token', 'web3', 'passkey'].includes(grant)) throw authErrors.notImplemented(`grant_type=${grant}`);
  throw authErrors.unsupportedGrant();
};

export const logout: AuthRouteHandler = async (ctx, request) => {
  const { user, claims } = await requireUser(ctx, request);
  const scopeParam = request.query.get('scope') ?? 'global';
  if (scopeParam !== 'global' && scopeParam !== 'local' && scopeParam !== 'others') {
    throw authErrors.validation(`Unsupported logout scope "${scopeParam}"`);
  }
  await ctx.store.endSessions(user.id, claims.session_id, scopeParam);
  sendEmpty(request.res, 204);
};
