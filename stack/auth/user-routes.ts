// The signed-in user: GET /user, PUT /user. A new e-mail address is not applied here: as GoTrue does
// for every non-anonymous user, it is recorded as pending and confirmed through POST /verify.
import bcrypt from 'bcryptjs';
import { sendJson } from '../gateway/index.ts';
import { BCRYPT_COST, isObject, jsonBody, requireUser, stringField, validateEmail, type AuthContext, type AuthRouteHandler } from './context.ts';
import { authErrors } from './errors.ts';
import { newEmailToken, sendMail } from './mail.ts';
import type { UserRow } from './store.ts';
import { toUserJson } from './user-json.ts';

export const getUser: AuthRouteHandler = async (ctx, request) => {
  const { user } = await requireUser(ctx, request);
  sendJson(request.res, 200, toUserJson(user));
};

export const updateUser: AuthRouteHandler = async (ctx, request) => {
  const { user } = await requireUser(ctx, request);
  const body = await jsonBody(request);
  const given = stringField(body, 'email');
  const email = given === undefined ? undefined : validateEmail(given);
  const password = stringField(body, 'password');
  if (password !== undefined && password.length < ctx.minPassword) throw authErrors.weakPassword(ctx.minPassword);
  const changesEmail = email !== undefined && email.toLowerCase() !== (user.email ?? '').toLowerCase();
  if (changesEmail) {
    const holder = await ctx.store.findUserByEmail(email);
    if (holder && holder.id !== user.id) throw authErrors.emailExists();
  }
  let updated = await ctx.store.updateUser(user.id, {
    passwordHash: password === undefined ? undefined : await bcrypt.hash(password, BCRYPT_COST),
    userMetadata: isObject(body.data) ? body.data : undefined,
  });
  if (changesEmail) updated = await requestEmailChange(ctx, updated, email);
  sendJson(request.res, 200, toUserJson(updated));
};

/** Mails a token to the new address (and, with double_confirm_changes, to the current one). */
async function requestEmailChange(ctx: AuthContext, user: UserRow, email: string): Promise<UserRow> {
  const tokenNew = newEmailToken(email);
  const current = user.email && ctx.config.doubleConfirmEmailChanges ? newEmailToken(user.email) : undefined;
  const updated = await ctx.store.requestEmailChange(user.id, { email, tokenNew: tokenNew.hash, tokenCurrent: current?.hash ?? '' });
  const logger = ctx.options.logger;
  sendMail(logger, { to: email, subject: 'Confirm Email Change', type: 'email_change', token: tokenNew });
  if (current) sendMail(logger, { to: user.email!, subject: 'Confirm Email Change', type: 'email_change', token: current });
  return updated;
}
