// POST /rpc/<fn> (named arguments in a JSON object) and GET /rpc/<fn>?arg=value. The function and its
// arguments are looked up in the schema cache; values travel as one JSON parameter that
// json_to_record() types with the function's own argument types, as PostgREST does.
import type postgres from 'postgres';
import { RestError, restErrors } from './errors.ts';
import {
  compileLimit, compileOrder, compileSelect, compileWhere, Params, quoteIdent, tableColumns, type ColumnSet, type EmbedContext,
} from './compile.ts';
import type { Preferences } from './negotiate.ts';
import { embeddedKey, parseFilterParam, parseNonNegativeInt, parseOperation, parseOrder, parseSelect, RESERVED_KEYS, type Filter } from './parse.ts';
import type { FunctionInfo, SchemaCache, SchemaSnapshot, TableInfo } from './schema-cache.ts';
import { rejectUnusedScopedParams, scopedParams } from './embed.ts';
import { aggregate, checkMaxAffected, contentRange, type RestResult } from './table.ts';

export interface RpcRequest {
  method: string;
  name: string;
  query: URLSearchParams;
  prefs: Preferences;
  singular: boolean;
  stripNulls: boolean;
  body: unknown;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function isRead(request: RpcRequest): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}

/** Over GET, PostgREST takes a query parameter whose value is not `operator.value` as an argument. */
function isArgumentParam(key: string, value: string): boolean {
  if (RESERVED_KEYS.has(key) || /^(not\.)?(and|or)$/.test(key) || embeddedKey(key)) return false;
  try {
    parseOperation({ column: key, path: [] }, value);
    return false;
  } catch (error) {
    if (error instanceof RestError) return true;
    throw error;
  }
}

/** The arguments of the call: the JSON body (POST) or the query parameters that are not filters (GET). */
export function rpcArguments(request: RpcRequest): Record<string, unknown> {
  if (isRead(request)) {
    const args: Record<string, unknown> = {};
    for (const [key, value] of request.query) if (isArgumentParam(key, value)) args[key] = value;
    return args;
  }
  const body = request.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw restErrors.invalidBody('Expected a JSON object with the function arguments');
  }
  return body as Record<string, unknown>;
}

/** The result filters: every other query parameter (over GET the arguments are not filters). */
function resultFilters(request: RpcRequest): Filter[] {
  const filters: Filter[] = [];
  for (const [key, value] of request.query) {
    if (RESERVED_KEYS.has(key) || (isRead(request) && isArgumentParam(key, value))) continue;
    if (embeddedKey(key)) continue; // embedFilters()
    filters.push(parseFilterParam(key, value));
  }
  return filters;
}

/** PostgREST's overload resolution (Plan.hs findProc): the argument names must fit exactly one function. */
export async function findFunction(cache: SchemaCache, request: RpcRequest): Promise<FunctionInfo> {
  const candidates = (await cache.functions(request.name)) ?? [];
  const keys = new Set(Object.keys(rpcArguments(request)));
  const matches = candidates.filter((fn) => {
    const required = fn.inputs.slice(0, fn.inputs.length - fn.defaults).map((i) => i.name);
    const optional = new Set(fn.inputs.slice(fn.inputs.length - fn.defaults).map((i) => i.name));
    if (fn.inputs.length === 0) return keys.size === 0;
    const rest = [...keys].filter((k) => !optional.has(k));
    return rest.length === required.length && required.every((r) => keys.has(r));
  });
  const fallback = isRead(request)
    ? []
    : candidates.filter((fn) => fn.inputs.length === 1 && fn.inputs[0]!.name === '' && /^jsonb?$/.test(fn.inputs[0]!.type));
  const chosen = matches.length > 0 ? matches : fallback;
  if (chosen.length === 1) return chosen[0]!;
  if (chosen.length > 1) throw restErrors.ambiguousFunction(chosen);
  throw restErrors.unknownFunction(request.name, [...keys].sort());
}

function resultColumns(fn: FunctionInfo, table: TableInfo | undefined, schema: SchemaSnapshot): ColumnSet | undefined {
  if (fn.outputs.length > 0) {
    const types = new Map(fn.outputs.map((o) => [o.name, o.type]));
    return { label: fn.name, has: (c) => types.has(c), type: (c) => types.get(c) };
  }
  if (table) return { ...tableColumns(table, schema), label: fn.name };
  return undefined;
}

export async function callFunction(
  tx: postgres.TransactionSql,
  fn: FunctionInfo,
  request: RpcRequest,
  schema: SchemaSnapshot,
): Promise<RestResult> {
  const params = new Params();
  const args = rpcArguments(request);
  const isSingleJson = fn.inputs.length === 1 && fn.inputs[0]!.name === '';
  let call: string;
  let from: string;
  if (isSingleJson) {
    call = `public.${quoteIdent(fn.name)}(${params.add(JSON.stringify(args), fn.inputs[0]!.type)})`;
    from = '';
  } else {
    const given = fn.inputs.filter((input) => input.name in args);
    const record = params.add(JSON.stringify(args), 'json');
    const types = given.map((input) => `${quoteIdent(input.name)} ${input.type}`).join(', ');
    call = `public.${quoteIdent(fn.name)}(${given.map((i) => `${i.mode === 'v' ? 'variadic ' : ''}${quoteIdent(i.name)} := _a.${quoteIdent(i.name)}`).join(', ')})`;
    from = given.length ? ` from json_to_record(${record}) as _a(${types})` : '';
    if (!given.length) params.values.pop();
  }
  const filters = resultFilters(request);

  if (fn.returnsVoid) {
    if (filters.length) throw restErrors.undefinedColumn(describeFilter(filters[0]!), fn.name);
    await tx.unsafe(`select ${call}${from}`, params.values as postgres.ParameterOrJSON<never>[]);
    return { status: 204, headers: {} };
  }

  const columns = resultColumns(fn, fn.returnTable ? schema.tables.get(fn.returnTable) : undefined, schema);
  const rowShaped = fn.returnTypeKind === 'c' || columns !== undefined;
  // A function in FROM runs once (`(f()).*` in a select list would run it once per column).
  const fromCall = (alias: string) => (from ? `${from}, lateral ${call} ${alias}` : ` from ${call} ${alias}`);
  // Rows come straight from the call aliased _t, so _t has the function's row type (computed fields take it).
  const source = rowShaped ? fromCall('_t') : ` from (select _f.v${fromCall('as _f(v)')}) _t`;
  // A scalar result has no columns: a filter or a select list on it names a column that does not exist.
  const resultSet: ColumnSet = columns ?? { label: fn.name, has: () => false };
  const scoped = scopedParams(request.query, (key) => RESERVED_KEYS.has(key));
  const embed: EmbedContext | undefined = fn.returnTable
    ? { schema, table: fn.returnTable, counter: { n: 0 }, scoped, parentConditions: [] }
    : undefined;
  if (!embed) rejectUnusedScopedParams({ schema, table: fn.name, counter: { n: 0 }, scoped, parentConditions: [] });
  const selectParam = request.query.get('select');
  const select = rowShaped ? compileSelect(parseSelect(selectParam), resultSet, params, embed) : scalarSelect(selectParam, fn);
  if (embed) rejectUnusedScopedParams(embed);
  const where = compileWhere(filters, resultSet, params, embed?.parentConditions ?? []);
  const order = compileOrder(parseOrder(request.query.get('order')), resultSet, params);
  const limit = parseNonNegativeInt('limit', request.query.get('limit'));
  const offset = parseNonNegativeInt('offset', request.query.get('offset')) ?? 0;
  const whereParams = params.values.length;
  const tail = compileLimit(limit, offset, params);
  const inner = `select ${select}${source}${where}${order}${tail}`;
  const [row] = await tx.unsafe<{ body: string; n: number }[]>(
    `select ${aggregate(rowShaped ? '_r' : '_r.v', request.stripNulls)}::text as body, count(*)::int as n from (${inner}) _r`,
    params.values as postgres.ParameterOrJSON<never>[],
  );
  const n = row?.n ?? 0;
  checkMaxAffected(request.prefs, n);
  const body = row?.body ?? '[]';
  if (request.singular && n !== 1) throw restErrors.singular(n);

  if (!fn.returnsSet) {
    // One value or one row (null when filtered out); PostgREST counts it as one (SqlFragment.hs pageCountSelectF).
    const value = n === 0 ? 'null' : body.slice(1, -1).trim();
    return { status: 200, body: value, headers: { 'content-type': JSON_TYPE, 'content-range': contentRange(0, 1, request.prefs.count ? 1 : undefined) } };
  }
  let total: number | undefined;
  if (request.prefs.count) {
    const [counted] = await tx.unsafe<{ total: string }[]>(
      `select count(*) as total from (select ${select}${source}${where}) _c`,
      params.values.slice(0, whereParams) as postgres.ParameterOrJSON<never>[],
    );
    total = Number(counted?.total ?? 0);
  }
  const status = total !== undefined && n < total && !request.singular ? 206 : 200;
  return {
    status,
    body: request.singular ? body.slice(1, -1).trim() : body,
    headers: { 'content-type': JSON_TYPE, 'content-range': contentRange(offset, n, total) },
  };
}

function scalarSelect(select: string | null, fn: FunctionInfo): string {
  if (select !== null && select.trim() !== '' && select.trim() !== '*') {
    throw restErrors.undefinedColumn(select.trim(), fn.name);
  }
  return '_t.v';
}

function describeFilter(filter: Filter): string {
  return filter.kind === 'op' ? filter.field.column : filter.op;
}
