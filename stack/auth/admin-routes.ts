// The service role's user management: /admin/users and /admin/users/<id>.
import bcrypt from 'bcryptjs';
import { sendJson } from '../gateway/index.ts';
import { BCRYPT_COST, isObject, jsonBody, stringField, validateEmail, verifyToken, type AuthContext, type AuthRouteHandler } from './context.ts';
import { authErrors } from './errors.ts';
import { toUserJson } from './user-json.ts';
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

/**
 * GoTrue's adminUsers (internal/api/admin.go, pagination.go, sorting.go): newest first unless `sort=created_at asc`,
 * `filter` on the e-mail or user_metadata.full_name, `X-Total-Count` and a `Link` header auth-js reads the pages from.
 */
async function listUsers(ctx: AuthContext, request: ServiceRequest): Promise<void> {
  const { query } = request;
  const number = (name: string, fallback: number) => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    if (!/^[0-9]{1,15}$/.test(raw)) throw authErrors.validation(`Bad Pagination Parameters: strconv.ParseUint: parsing "${raw}": invalid syntax`);
    return Number(raw);
  };
  // gobuffalo/pop's Paginate: a page below 1 is 1, a page size below 1 is 20.
  const page = Math.max(1, number('page', 1));
  const perPage = number('per_page', 50) < 1 ? 20 : number('per_page', 50);
  let ascending = false;
  for (const sort of query.getAll('sort')) {
    const space = sort.indexOf(' ');
    const field = space < 0 ? sort : sort.slice(0, space);
    const direction = space < 0 ? undefined : sort.slice(space + 1);
    if (field !== 'created_at') throw authErrors.validation(`Bad Sort Parameters: bad field for sort '${field}'`);
    if (direction !== undefined && !['ASC', 'DESC'].includes(direction.toUpperCase())) {
      throw authErrors.validation(`Bad Sort Parameters: bad direction for sort '${direction}', only 'asc' and 'desc' allowed`);
    }
    ascending = direction?.toUpperCase() === 'ASC';
  }
  const { users, total } = await ctx.store.listUsers({ page, perPage, ascending, filter: query.get('filter') ?? '' });
  const pages = Math.ceil(total / perPage);
  // Go's url.Values.Encode sorts the keys: auth-js takes the page number from the first "=" of each link.
  const link = (n: number) => {
    const params = new URLSearchParams(query);
    params.set('page', String(n));
    params.sort();
    return `</admin/users?${params.toString()}>`;
  };
  const links = [...(pages > page ? [`${link(page + 1)}; rel="next"`] : []), `${link(pages)}; rel="last"`];
  sendJson(request.res, 200, { users: users.map(toUserJson), aud: 'authenticated' }, { 'x-total-count': String(total), link: links.join(', ') });
}

async function createUser(ctx: AuthContext, request: ServiceRequest): Promise<void> {
  const { store, minPassword } = ctx;
  const body = await jsonBody(request);
  const given = stringField(body, 'email');
  if (!given) {
    throw stringField(body, 'phone') ? authErrors.notImplemented('Phone users') : authErrors.validation('Cannot create a user without either an email or phone');
  }
  const email = validateEmail(given);
  const password = stringField(body, 'password');
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
  const given = stringField(body, 'email');
  if (password !== undefined && password.length < ctx.minPassword) throw authErrors.weakPassword(ctx.minPassword);
  const user = await ctx.store.updateUser(id, {
    email: given === undefined ? undefined : validateEmail(given),
    confirmEmail: body.email_confirm === true,
    passwordHash: password === undefined ? undefined : await bcrypt.hash(password, BCRYPT_COST),
    userMetadata: isObject(body.user_metadata) ? body.user_metadata : undefined,
    appMetadata: isObject(body.app_metadata) ? body.app_metadata : undefined,
  });
  sendJson(request.res, 200, toUserJson(user));
}
