// The signed-in user: GET /user, PUT /user.
import bcrypt from 'bcryptjs';
import { sendJson } from '../gateway/index.ts';
import { BCRYPT_COST, EMAIL_PATTERN, isObject, jsonBody, requireUser, stringField, type AuthRouteHandler } from './context.ts';
import { authErrors } from './errors.ts';
import { toUserJson } from './tokens.ts';

export const getUser: AuthRouteHandler = async (ctx, request) => {
  const { user } = await requireUser(ctx, request);
  sendJson(request.res, 200, toUserJson(user));
};

export const updateUser: AuthRouteHandler = async (ctx, request) => {
  const { user } = await requireUser(ctx, request);
  const body = await jsonBody(request);
  const email = stringField(body, 'email');
  const password = stringField(body, 'password');
  if (email !== undefined && !EMAIL_PATTERN.test(email)) throw authErrors.validation('Unable to validate email address: invalid format');
  if (password !== undefined && password.length < ctx.minPassword) throw authErrors.weakPassword(ctx.minPassword);
  const updated = await ctx.store.updateUser(user.id, {
    email,
    passwordHash: password === undefined ? undefined : await bcrypt.hash(password, BCRYPT_COST),
    userMetadata: isObject(body.data) ? body.data : undefined,
  });
  sendJson(request.res, 200, toUserJson(updated));
};
