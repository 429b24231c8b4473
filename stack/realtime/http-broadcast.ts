// Realtime's REST broadcast (RealtimeWeb.BroadcastController, BroadcastSingleController), what realtime-js sends
// without a socket: `POST /api/broadcast` with `{messages: [{topic, event, payload, private?, id?}]}` (send() on
// a channel that is not joined) and `POST /api/broadcast/<topic>/events/<event>[?private=true]` with the payload
// as the JSON or application/octet-stream body (httpSend()). Both answer 202 with an empty body. Private messages
// need the `realtime.messages` insert policies (the batch drops a refused topic, the single endpoint is 403).
import { sendEmpty, sendJson, type ServiceRequest } from '../gateway/index.ts';
import { verifyAccessToken, verifyJwtClaims, type AccessClaims, type JwtKeys } from '../keys.ts';
import { isObject } from './protocol.ts';
import type { ServerContext } from './server-context.ts';

const UNSUPPORTED_MEDIA_TYPE = 'Unsupported Media Type. Use application/json or application/octet-stream';

type FieldErrors = Record<string, string[]>;

export async function handleRealtimeHttp(ctx: ServerContext, request: ServiceRequest): Promise<void> {
  const { req, res, path } = request;
  const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path);
  const known = path === '/api/broadcast' || single !== null;
  if (!known || req.method !== 'POST') {
    req.resume();
    if (path === '/api/ping' && req.method === 'GET') return sendJson(res, 200, { message: 'Success' });
    return sendJson(res, 404, { message: 'not found' });
  }
  const claims = await authenticate(request, ctx.jwtKeys);
  if (!claims) {
    req.resume();
    return sendJson(res, 401, { message: 'Unauthorized' });
  }
  if (single) return broadcastSingle(ctx, request, claims, decodeURIComponent(single[1]!), decodeURIComponent(single[2]!));
  return broadcastBatch(ctx, request, claims);
}

/** RealtimeWeb.AuthTenant: the Authorization bearer token, else the apikey, verified as a project JWT. */
async function authenticate(request: ServiceRequest, keys: JwtKeys): Promise<AccessClaims | null> {
  const authorization = request.req.headers.authorization;
  const bearer = authorization ? /^bearer (.+)$/i.exec(authorization.trim())?.[1] : undefined;
  const apikey = request.req.headers.apikey;
  try {
    return bearer ? await verifyJwtClaims(bearer, keys) : await verifyAccessToken(Array.isArray(apikey) ? apikey[0] : apikey, keys);
  } catch {
    return null;
  }
}

async function broadcastBatch(ctx: ServerContext, request: ServiceRequest, claims: AccessClaims): Promise<void> {
  const body = parseJson(await request.body());
  if (body === INVALID_JSON) return sendJson(request.res, 400, { message: 'Bad Request: the body is not valid JSON' });
  const { messages, errors } = validateBatch(ctx, isObject(body) ? body : {});
  if (errors) return sendJson(request.res, 422, { errors });
  // BatchBroadcast.check_rate_limit: the project's messages per second, this batch included.
  const rate = ctx.limits.events.avg;
  const max = ctx.limits.config.maxEventsPerSecond;
  if (rate > max) return sendJson(request.res, 429, { message: 'You have exceeded your rate limit' });
  if (messages.length + rate > max) return sendJson(request.res, 429, { message: 'Too many messages to broadcast, please reduce the batch size' });
  for (const message of messages.filter((m) => !m.private)) deliver(ctx, message, false);
  const privateTopics = new Map<string, BatchMessage[]>();
  for (const message of messages.filter((m) => m.private)) {
    privateTopics.set(message.topic, [...(privateTopics.get(message.topic) ?? []), message]);
  }
  for (const [topic, group] of privateTopics) {
    // Realtime's BatchBroadcast leaves out, without an error, the messages of a topic the claims may not write.
    if (!(await ctx.authorizeBroadcastWrite(topic, claims))) continue;
    for (const message of group) deliver(ctx, message, true);
  }
  sendEmpty(request.res, 202);
}

interface BatchMessage {
  topic: string;
  event: string;
  payload: Record<string, unknown>;
  private: boolean;
  id?: string;
}

/** BatchBroadcast's changeset: `messages` required, each with topic, event and a payload object. */
function validateBatch(ctx: ServerContext, body: Record<string, unknown>): { messages: BatchMessage[]; errors?: Record<string, unknown> } {
  const list = body.messages;
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) return { messages: [], errors: { messages: ["can't be blank"] } };
  if (!Array.isArray(list) || !list.every(isObject)) return { messages: [], errors: { messages: ['is invalid'] } };
  const messages: BatchMessage[] = [];
  const perMessage: FieldErrors[] = list.map((raw) => {
    const errors: FieldErrors = {};
    const text = (name: 'topic' | 'event') => {
      const value = raw[name];
      if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) errors[name] = ["can't be blank"];
      else if (typeof value !== 'string') errors[name] = ['is invalid'];
      return typeof value === 'string' ? value : '';
    };
    const topic = text('topic');
    const event = text('event');
    const payload = raw.payload;
    if (payload === undefined || payload === null) errors.payload = ["can't be blank"];
    else if (!isObject(payload)) errors.payload = ['is invalid'];
    else if (ctx.limits.payloadTooLarge(payload)) errors.payload = ['Payload size exceeds tenant limit'];
    const isPrivate = castBoolean(raw.private);
    if (isPrivate === undefined) errors.private = ['is invalid'];
    const id = raw.id;
    if (id !== undefined && id !== null && (typeof id !== 'string' || !UUID.test(id))) errors.id = ['is invalid'];
    if (Object.keys(errors).length === 0) {
      messages.push({ topic, event, payload: payload as Record<string, unknown>, private: isPrivate!, ...(typeof id === 'string' ? { id } : {}) });
    }
    return errors;
  });
  return perMessage.some((e) => Object.keys(e).length > 0) ? { messages: [], errors: { messages: perMessage } } : { messages };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ecto's boolean cast: true/false, "true"/"false", "1"/"0"; absent is false. */
function castBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return false;
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  return undefined;
}

function deliver(ctx: ServerContext, message: BatchMessage, isPrivate: boolean): void {
  ctx.limits.events.add();
  const outgoing: Record<string, unknown> = { type: 'broadcast', event: message.event, payload: message.payload };
  if (message.id) outgoing.meta = { id: message.id };
  ctx.topics.broadcast(`realtime:${message.topic}`, isPrivate, outgoing);
}

async function broadcastSingle(ctx: ServerContext, request: ServiceRequest, claims: AccessClaims, topic: string, event: string): Promise<void> {
  const { req, res } = request;
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== '' && contentType !== 'application/json' && contentType !== 'application/octet-stream') {
    req.resume();
    return sendJson(res, 415, { error: UNSUPPORTED_MEDIA_TYPE });
  }
  const raw = await request.body();
  let payload: Record<string, unknown> | Uint8Array;
  if (contentType === 'application/octet-stream') {
    payload = new Uint8Array(raw);
  } else {
    // Phoenix's JSON parser: an empty body is {}, a JSON value that is not an object arrives as {"_json": value}.
    const parsed = raw.length === 0 ? {} : parseJson(raw);
    if (parsed === INVALID_JSON) return sendJson(res, 400, { message: 'Bad Request: the body is not valid JSON' });
    payload = isObject(parsed) ? parsed : { _json: parsed };
  }
  const errors: FieldErrors = {};
  if (topic.trim() === '') errors.topic = ["can't be blank"];
  if (event.trim() === '') errors.event = ["can't be blank"];
  if (ctx.limits.payloadTooLarge(payload)) errors.payload = ['Payload size exceeds tenant limit'];
  if (Object.keys(errors).length > 0) return sendJson(res, 422, { errors });
  if (ctx.limits.events.avg >= ctx.limits.config.maxEventsPerSecond) return sendJson(res, 429, { message: 'You have exceeded your rate limit' });
  const isPrivate = request.query.get('private') === 'true';
  if (isPrivate && !(await ctx.authorizeBroadcastWrite(topic, claims))) return sendJson(res, 403, { message: 'Unauthorized' });
  ctx.limits.events.add();
  ctx.topics.broadcast(`realtime:${topic}`, isPrivate, { type: 'broadcast', event, payload });
  sendEmpty(res, 202);
}

const INVALID_JSON = Symbol('invalid json');

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return INVALID_JSON;
  }
}
