// /rest/v1: the PostgREST subset supabase-js produces (tables, views and rpc in schema `public`).
// Each request is one transaction as the JWT's role with request.jwt.claims set, so RLS decides.
import type postgres from 'postgres';
import type { Logger } from 'pino';
import type { JwtKeys } from '../keys.ts';
import { headerValue, sendJson, sendText, type ServiceHandler, type ServiceRequest } from '../gateway/index.ts';
import { asCaller, identifyCaller, type Caller } from './context.ts';
import { fromPostgresError, isPostgresError, RestError, restErrors } from './errors.ts';
import { negotiateAccept, parsePrefer } from './negotiate.ts';
import { callFunction, findFunction, type RpcRequest } from './rpc.ts';
import { createSchemaCache } from './schema-cache.ts';
import { deleteRows, insertRows, readTable, updateRows, type RestResult, type TableRequest } from './table.ts';

export interface RestServiceOptions {
  sql: postgres.Sql;
  /** Verifies the caller's JWT (the stack's signing keys and legacy secret). */
  jwtKeys: JwtKeys;
  logger: Logger;
  /** Rows a read returns at most (config.toml [api] max_rows; 1000). */
  maxRows?: number;
}

export function createRestService(options: RestServiceOptions): ServiceHandler {
  const { sql, logger } = options;
  const cache = createSchemaCache(sql);

  return async function handleRest(request: ServiceRequest): Promise<void> {
    const { req, res } = request;
    const method = req.method ?? 'GET';
    let caller: Caller | undefined;
    try {
      checkProfile(request, method);
      caller = await identifyCaller(req, request.query, options.jwtKeys);
      const result = await route(request, method, caller);
      respond(request, result);
    } catch (error) {
      if (error instanceof Error && error.name === 'PayloadTooLargeError') throw error;
      const restError = toRestError(error, caller);
      if (!restError) {
        logger.error({ err: error, method, path: request.path }, 'rest: unexpected error');
        sendJson(res, 500, { code: 'PGRST000', details: null, hint: null, message: 'An unexpected error occurred' });
        return;
      }
      req.resume();
      sendJson(res, restError.status, restError.toJSON(), restError.headers);
    }
  };

  async function route(request: ServiceRequest, method: string, caller: Caller): Promise<RestResult> {
    const segments = request.path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    if (segments.length === 0) {
      return { status: 200, body: JSON.stringify({ swagger: '2.0', info: { title: 'local development stack', version: 'local' }, paths: {} }), headers: { 'content-type': 'application/openapi+json; charset=utf-8' } };
    }
    const { singular, stripNulls } = negotiateAccept(headerValue(request.req, 'accept'));
    const prefs = parsePrefer(request.req.headers.prefer);
    if (headerValue(request.req, 'range')) throw restErrors.unsupported('The Range request header', 'Use limit and offset (supabase-js .range()).');
    const readOnly = method === 'GET' || method === 'HEAD';

    if (segments[0] === 'rpc' && segments.length === 2) {
      if (!['GET', 'HEAD', 'POST'].includes(method)) throw restErrors.notAllowed(method);
      const body = method === 'POST' ? await jsonBody(request) : undefined;
      const rpc: RpcRequest = { method, name: segments[1]!, query: request.query, prefs, singular, stripNulls, body };
      const fn = await findFunction(cache, rpc);
      const schema = await cache.current();
      return asCaller(sql, caller, { method, path: request.path, headers: request.req.headers }, readOnly, (tx) => callFunction(tx, fn, rpc, schema));
    }
    if (segments.length !== 1) throw restErrors.unknownTable(segments.join('/'));

    const table = await cache.table(segments[0]!);
    if (!table) throw restErrors.unknownTable(segments[0]!);
    const body = method === 'POST' || method === 'PATCH' || method === 'PUT' ? await jsonBody(request) : undefined;
    const schema = await cache.current();
    const tableRequest: TableRequest = { method, table, query: request.query, prefs, singular, stripNulls, body, schema, maxRows: options.maxRows ?? 1000 };
    return asCaller(sql, caller, { method, path: request.path, headers: request.req.headers }, readOnly, (tx) => {
      switch (method) {
        case 'GET':
        case 'HEAD':
          return readTable(tx, tableRequest);
        case 'POST':
          return insertRows(tx, tableRequest);
        case 'PATCH':
          return updateRows(tx, tableRequest);
        case 'DELETE':
          return deleteRows(tx, tableRequest);
        default:
          throw restErrors.notAllowed(method);
      }
    });
  }
}

function checkProfile(request: ServiceRequest, method: string): void {
  const header = method === 'GET' || method === 'HEAD' ? 'accept-profile' : 'content-profile';
  const profile = headerValue(request.req, header);
  if (profile && profile !== 'public') throw restErrors.schema(profile);
}

async function jsonBody(request: ServiceRequest): Promise<unknown> {
  const type = headerValue(request.req, 'content-type') ?? 'application/json';
  if (!/json/i.test(type)) throw restErrors.mediaType(type);
  const raw = (await request.body()).toString('utf8');
  if (raw.trim() === '') return request.req.method === 'POST' && request.path.startsWith('/rpc/') ? {} : undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw restErrors.invalidBody((error as Error).message);
  }
}

function toRestError(error: unknown, caller: Caller | undefined): RestError | undefined {
  if (error instanceof RestError) return error;
  if (isPostgresError(error)) return fromPostgresError(error, !caller || caller.role === 'anon');
  return undefined;
}

function respond(request: ServiceRequest, result: RestResult): void {
  const { res } = request;
  if (result.body === undefined || result.status === 204) {
    if (result.status !== 204) delete result.headers['content-type'];
    res.writeHead(result.status, { ...result.headers, 'content-length': '0' });
    res.end();
    return;
  }
  sendText(res, result.status, result.body, result.headers);
}
