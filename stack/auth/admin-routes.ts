// The service role's user management: /admin/users and /admin/users/<id>.
import bcrypt from 'bcryptjs';
import { sendJson } from '../gateway/index.ts';
import { BCRYPT_COST, EMAIL_PATTERN, isObject, jsonBody, stringField, verifyToken, type AuthContext, type AuthRouteHandler } from './context.ts';
import { authErrors } from './errors.ts';
import { toUserJson } from './tokens.ts';
import type { ServiceRequest } from '../gateway/index.ts';
const USER_ID = /^[0-9a-f-]{36}$/i;

export const adminUsers: AuthRouteHandler = async (ctx, request) => {
  const claims = await verifyToken(ctx, request);
  if (claims.role !== 'service_role') throw authErrors.notAdmin();
  const method = request.req.method ?? 'GET';
  const id = request.path.slice('/admin/users/'.length) || undefined;
  if (!id) {
    if (method === 'GET') return listUsers(ctx, request);
    if (method === 'POST') return createUser(ctx, request);
    throw authErrors.notFound();
  }
  if (!USER_ID.test(id)) throw authErrors.userNotFound();
  if (method === 'GET') {
    const user = await ctx.store.findUserById(id);
    if (!user) throw authErrors.userNotFound();
    sendJson(request.res, 200, toUserJson(user));
  } else if (method === 'PUT') {
    await updateUser(ctx, request, id);
  } else if (method === 'DELETE') {
    const user = await ctx.store.findUserById(id);
    if (!user || !(await ctx.store.deleteUser(id))) throw authErrors.userNotFound();
    sendJson(request.res, 200, toUserJson(user));
  } else {
    throw authErrors.notFound();
  }
};

async function listUsers(ctx: AuthContext, request: ServiceRequest): Promise<void> {
  const page = Math.max(1, Number(request.query.get('page') ?? 1) || 1);
  const perPage = Math.min(1000, Math.max(1, Number(request.query.get('per_page') ?? 50) || 50));
  const users = await ctx.store.listUsers(page, perPage);
  sendJson(request.res, 200, { users: users.map(toUserJson), aud: 'authenticated' });
}

async function createUser(ctx: AuthContext, request: ServiceRequest): Promise<void> {
  const { store, minPassword } = ctx;
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
  sendJson(request.res, 200, toUserJson(user));
}

async function updateUser(ctx: AuthContext, request: ServiceRequest, id: string): Promise<void> {
  const body = await jsonBody(request);
  const password = stringField(body, 'password');
  const user = await ctx.store.updateUser(id, {
    email: stringField(body, 'email'),
    passwordHash: password === undefined ? undefined : await bcrypt.hash(password, BCRYPT_COST),
    userMetadata: isObject(body.user_metadata) ? body.user_metadata : undefined,
    appMetadata: isObject(body.app_metadata) ? body.app_metadata : undefined,
  });
  sendJson(request.res, 200, toUserJson(user));
}
