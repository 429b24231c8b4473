// POST /rpc/<fn> (named arguments in a JSON object) and GET /rpc/<fn>?arg=value. The function and its
// arguments are looked up in the schema cache; values travel as one JSON parameter that
// json_to_record() types with the function's own argument types, as PostgREST does.
import type postgres from 'postgres';
import { restErrors } from './errors.ts';
import { compileLimit, compileOrder, compileSelect, compileWhere, Params, quoteIdent, type ColumnSet } from './compile.ts';
import type { Preferences } from './negotiate.ts';
import { parseNonNegativeInt, parseOrder, parseSelect, RESERVED_KEYS } from './parse.ts';
import type { FunctionInfo, SchemaCache } from './schema-cache.ts';
import { aggregate, checkMaxAffected, parseFilters, type RestResult } from './table.ts';

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

/** The arguments of the call: the JSON body (POST) or the non-reserved query parameters (GET). */
export function rpcArguments(request: RpcRequest, fn?: FunctionInfo): Record<string, unknown> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    const args: Record<string, unknown> = {};
    for (const [key, value] of request.query) {
      if (RESERVED_KEYS.has(key)) continue;
      if (fn && !fn.inputs.some((input) => input.name === key)) continue; // a filter on the result
      args[key] = value;
    }
    return args;
  }
  const body = request.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw restErrors.invalidBody('Expected a JSON object with the function arguments');
  }
  return body as Record<string, unknown>;
}

export async function findFunction(cache: SchemaCache, request: RpcRequest): Promise<FunctionInfo> {
  const candidates = (await cache.functions(request.name)) ?? [];
  const keys = Object.keys(rpcArguments(request));
  const fits = (fn: FunctionInfo, names: string[]) => {
    const required = fn.inputs.slice(0, fn.inputs.length - fn.defaults).map((i) => i.name);
    return names.every((k) => fn.inputs.some((i) => i.name === k)) && required.every((r) => names.includes(r));
  };
  const single = candidates.find((fn) => fn.inputs.length === 1 && fn.inputs[0]!.name === '' && /^jsonb?$/.test(fn.inputs[0]!.type));
  if (request.method === 'GET' || request.method === 'HEAD') {
    // Query parameters mix arguments and result filters: take the function whose arguments fit best.
    const match = candidates
      .filter((fn) => fits(fn, keys.filter((k) => fn.inputs.some((i) => i.name === k))))
      .sort((a, b) => b.inputs.length - a.inputs.length)[0];
    if (match) return match;
  } else {
    const match = candidates.find((fn) => fits(fn, keys));
    if (match) return match;
    if (single) return single;
  }
  throw restErrors.unknownFunction(request.name, keys.sort());
}

function resultColumns(fn: FunctionInfo, tableColumns: ((name: string) => boolean) | undefined): ColumnSet | undefined {
  if (fn.outputs.length > 0) {
    const names = new Set(fn.outputs.map((o) => o.name));
    return { label: fn.name, has: (c) => names.has(c) };
  }
  if (tableColumns) return { label: fn.name, has: tableColumns };
  return undefined;
}

export async function callFunction(
  tx: postgres.TransactionSql,
  fn: FunctionInfo,
  request: RpcRequest,
  tableColumns: ((name: string) => boolean) | undefined,
): Promise<RestResult> {
  const params = new Params();
  const args = rpcArguments(request, fn);
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
    call = `public.${quoteIdent(fn.name)}(${given.map((i) => `${quoteIdent(i.name)} := _a.${quoteIdent(i.name)}`).join(', ')})`;
    from = given.length ? ` from json_to_record(${record}) as _a(${types})` : '';
    if (!given.length) params.values.pop();
  }

  if (fn.returnsVoid) {
    await tx.unsafe(`select ${call}${from}`, params.values as postgres.ParameterOrJSON<never>[]);
    return { status: 204, headers: {} };
  }

  const columns = resultColumns(fn, tableColumns);
  const rowShaped = fn.returnTypeKind === 'c' || columns !== undefined;
  // A function in FROM runs once (`(f()).*` in a select list would run it once per column).
  const fromCall = (alias: string) => (from ? `${from}, lateral ${call} ${alias}` : ` from ${call} ${alias}`);
  if (!fn.returnsSet) {
    const strip = (json: string) => (request.stripNulls ? `json_strip_nulls(${json})` : json);
    const sql = rowShaped
      ? `select ${strip('to_json(_t)')}::text as body from (select _f.*${fromCall('_f')}) _t`
      : `select ${strip(`to_json(${call})`)}::text as body${from}`;
    const [row] = await tx.unsafe<{ body: string | null }[]>(sql, params.values as postgres.ParameterOrJSON<never>[]);
    return { status: 200, body: row?.body ?? 'null', headers: { 'content-type': JSON_TYPE } };
  }

  const source = rowShaped ? `(select _f.*${fromCall('_f')}) _t` : `(select _f.v${fromCall('as _f(v)')}) _t`;
  let select = rowShaped ? '_t.*' : '_t.v';
  let where = '';
  let order = '';
  if (columns) {
    select = compileSelect(parseSelect(request.query.get('select')), columns, params);
    // Over GET the function's arguments travel as query parameters too: only the other keys are filters.
    const overQuery = request.method === 'GET' || request.method === 'HEAD';
    const filterQuery = new URLSearchParams([...request.query].filter(([key]) => !(overQuery && fn.inputs.some((i) => i.name === key))));
    const filters = parseFilters(filterQuery);
    where = compileWhere(filters, columns, params);
    order = compileOrder(parseOrder(request.query.get('order')), columns, params);
  }
  const limit = compileLimit(
    parseNonNegativeInt('limit', request.query.get('limit')),
    parseNonNegativeInt('offset', request.query.get('offset')),
    params,
  );
  const inner = `select ${select} from ${source}${where}${order}${limit}`;
  const [row] = await tx.unsafe<{ body: string; n: number }[]>(
    `select ${aggregate(rowShaped ? '_r' : '_r.v', request.stripNulls)}::text as body, count(*)::int as n from (${inner}) _r`,
    params.values as postgres.ParameterOrJSON<never>[],
  );
  const n = row?.n ?? 0;
  checkMaxAffected(request.prefs, n);
  if (request.singular) {
    if (n !== 1) throw restErrors.singular(n);
    return { status: 200, body: (row?.body ?? '[]').slice(1, -1).trim(), headers: { 'content-type': JSON_TYPE } };
  }
  return {
    status: 200,
    body: row?.body ?? '[]',
    headers: { 'content-type': JSON_TYPE, 'content-range': n === 0 ? '*/*' : `0-${n - 1}/*` },
  };
}
