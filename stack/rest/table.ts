// Reads and writes on a table or view: GET/HEAD (select), POST (insert, upsert), PATCH (update), DELETE.
import type postgres from 'postgres';
import { RestError, restErrors } from './errors.ts';
import {
  compileLimit, compileOrder, compileSelect, compileWhere, Params, quoteIdent, tableColumns, type ColumnSet, type EmbedContext,
} from './compile.ts';
import { rejectUnusedScopedParams, scopedParams } from './embed.ts';
import {
  embeddedKey, parseFilterParam, parseNonNegativeInt, parseOrder, parseSelect, RESERVED_KEYS, unquote,
  type Filter,
} from './parse.ts';
import type { Preferences } from './negotiate.ts';
import type { SchemaSnapshot, TableInfo } from './schema-cache.ts';

export interface RestResult {
  status: number;
  body?: string;
  headers: Record<string, string>;
}

export interface TableRequest {
  method: string;
  table: TableInfo;
  query: URLSearchParams;
  prefs: Preferences;
  /** Accept: application/vnd.pgrst.object+json (`.single()`). */
  singular: boolean;
  /** Accept …;nulls=stripped. */
  stripNulls: boolean;
  /** For resource embedding. */
  schema: SchemaSnapshot;
  /** config.toml [api] max_rows: no read returns more rows than this. */
  maxRows: number;
  body?: unknown;
}

/** Supabase loads pg-safeupdate for API requests: UPDATE and DELETE need a WHERE clause. */
function unfilteredWrite(command: 'UPDATE' | 'DELETE'): RestError {
  return new RestError(400, '21000', `${command} requires a WHERE clause`);
}

function embedContext(request: TableRequest, withScoped = false): EmbedContext {
  return {
    schema: request.schema, table: request.table.name, counter: { n: 0 },
    scoped: withScoped ? scopedParams(request.query, (key) => RESERVED_KEYS.has(key)) : new Map(), parentConditions: [],
  };
}

export function columnSet(request: Pick<TableRequest, 'table' | 'schema'>): ColumnSet {
  return tableColumns(request.table, request.schema);
}

/** The request's own filters (embedded-resource filters are left to embedFilters). */
export function parseFilters(query: URLSearchParams): Filter[] {
  const filters: Filter[] = [];
  for (const [key, value] of query) {
    if (RESERVED_KEYS.has(key) || embeddedKey(key)) continue;
    filters.push(parseFilterParam(key, value));
  }
  return filters;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const OBJECT_TYPE = 'application/vnd.pgrst.object+json; charset=utf-8';

export function contentRange(offset: number, rows: number, total: number | undefined): string {
  const size = total === undefined ? '*' : String(total);
  return rows === 0 ? `*/${size}` : `${offset}-${offset + rows - 1}/${size}`;
}

/** Runs the aggregated statement and shapes the body (array, or one object for `.single()`). */
/** The JSON aggregate of `alias`'s rows, nulls stripped when asked (PostgREST: json_strip_nulls). */
export function aggregate(expression: string, stripNulls: boolean): string {
  const body = `coalesce(json_agg(${expression}), '[]'::json)`;
  return stripNulls ? `json_strip_nulls(${body})` : body;
}

async function runAggregated(tx: postgres.TransactionSql, inner: string, params: Params, singular: boolean, stripNulls: boolean) {
  const [row] = await tx.unsafe<{ body: string; n: number }[]>(
    `select ${aggregate('_r', stripNulls)}::text as body, count(*)::int as n from (${inner}) _r`,
    params.values as postgres.ParameterOrJSON<never>[],
  );
  const n = row?.n ?? 0;
  if (singular && n !== 1) throw restErrors.singular(n);
  const body = row?.body ?? '[]';
  return { n, body: singular ? body.slice(1, -1).trim() : body };
}

export async function readTable(tx: postgres.TransactionSql, request: TableRequest): Promise<RestResult> {
  const { table, query, prefs } = request;
  const columns = columnSet(request);
  const params = new Params();
  const source = `public.${quoteIdent(table.name)} _t`;
  const embed = embedContext(request, true);
  const select = compileSelect(parseSelect(query.get('select')), columns, params, embed);
  rejectUnusedScopedParams(embed);
  const where = compileWhere(parseFilters(query), columns, params, embed.parentConditions);
  const order = compileOrder(parseOrder(query.get('order')), columns, params);
  const limit = Math.min(parseNonNegativeInt('limit', query.get('limit')) ?? request.maxRows, request.maxRows);
  const offset = parseNonNegativeInt('offset', query.get('offset')) ?? 0;
  const whereParams = params.values.length;
  const tail = compileLimit(limit, offset, params);

  const { n, body } = await runAggregated(tx, `select ${select} from ${source}${where}${order}${tail}`, params, request.singular, request.stripNulls);
  let total: number | undefined;
  if (prefs.count) {
    const countParams = params.values.slice(0, whereParams) as postgres.ParameterOrJSON<never>[];
    // Same text for the where clause: the select list's parameters come first and keep their numbers.
    const [row] = await tx.unsafe<{ total: string }[]>(
      `select count(*) as total from (select ${select} from ${source}${where}) _c`,
      countParams,
    );
    total = Number(row?.total ?? 0);
  }
  const status = total !== undefined && n < total && !request.singular ? 206 : 200;
  return {
    status,
    body: request.method === 'HEAD' ? undefined : body,
    headers: {
      'content-type': request.singular ? OBJECT_TYPE : JSON_TYPE,
      'content-range': contentRange(offset, n, total),
      ...(prefs.applied.length ? { 'preference-applied': prefs.applied.join(', ') } : {}),
    },
  };
}

function bodyRows(body: unknown, allowArray: boolean): Record<string, unknown>[] {
  if (Array.isArray(body) && allowArray) {
    if (!body.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) {
      throw restErrors.invalidBody('All array elements must be JSON objects');
    }
    return body as Record<string, unknown>[];
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return [body as Record<string, unknown>];
  throw restErrors.invalidBody(allowArray ? 'Expected a JSON object or an array of objects' : 'Expected a JSON object');
}

function payloadColumns(table: TableInfo, rows: Record<string, unknown>[], query: URLSearchParams): string[] {
  const param = query.get('columns');
  const names = param
    ? param.split(',').map((c) => unquote(c.trim())).filter(Boolean)
    : [...new Set(rows.flatMap((row) => Object.keys(row)))];
  for (const name of names) if (!table.columns.has(name)) throw restErrors.unknownColumn(name, table.name);
  return names;
}

function returningClause(request: TableRequest, params: Params): string {
  if (request.prefs.return !== 'representation') return 'returning 1 as _ok';
  const embed = embedContext(request, true);
  const select = compileSelect(parseSelect(request.query.get('select')), columnSet(request), params, embed);
  rejectUnusedScopedParams(embed);
  return `returning ${select}`;
}

async function finishWrite(tx: postgres.TransactionSql, request: TableRequest, statement: string, params: Params, kind: 'insert' | 'update' | 'delete') {
  const representation = request.prefs.return === 'representation';
  // A data-modifying CTE must be at the top level.
  const [row] = await tx.unsafe<{ body: string; n: number; updated: string | null }[]>(
    `with _w as (${statement}) select ${aggregate('_w', request.stripNulls)}::text as body, count(*)::int as n,
            nullif(current_setting('${UPSERT_UPDATED}', true), '') as updated from _w`,
    params.values as postgres.ParameterOrJSON<never>[],
  );
  const n = row?.n ?? 0;
  // Throwing rolls the transaction back: nothing is written.
  if (kind !== 'insert') checkMaxAffected(request.prefs, n);
  if (request.singular && representation && n !== 1) throw restErrors.singular(n);
  const body = request.singular && representation ? (row?.body ?? '[]').slice(1, -1).trim() : row?.body ?? '[]';
  const total = request.prefs.count ? n : undefined;
  // PostgREST (Response.hs): inserts and deletes answer `*/N`, updates `0-(N-1)/N`; `*` without count=exact.
  const headers: Record<string, string> = {
    'content-range': kind === 'update' ? contentRange(0, n, total) : `*/${total ?? '*'}`,
  };
  if (request.prefs.applied.length) headers['preference-applied'] = request.prefs.applied.join(', ');
  // A merge-duplicates upsert that only updated answers 200; any inserted row makes it 201.
  const inserted = n - Number(row?.updated ?? 0);
  const status = kind !== 'insert' ? 200 : request.prefs.resolution === 'merge-duplicates' && inserted <= 0 ? 200 : 201;
  if (!representation) return { status: kind === 'insert' ? status : 204, headers };
  headers['content-type'] = request.singular ? OBJECT_TYPE : JSON_TYPE;
  return { status, body, headers };
}

/** PATCH/DELETE with order/limit (PostgREST 12 applies them to the rows written); ignoring them would write more. */
function rejectWriteModifiers(query: URLSearchParams): void {
  for (const key of ['limit', 'offset', 'order']) {
    if (query.has(key)) throw restErrors.unsupported(`"${key}" on an update or delete`);
  }
}

/** Prefer: handling=strict, max-affected=N: more affected rows is PGRST124 (the caller's transaction then rolls back). */
export function checkMaxAffected(prefs: Preferences, affected: number): void {
  if (prefs.maxAffected !== undefined && affected > prefs.maxAffected) {
    throw new RestError(400, 'PGRST124', 'Query result exceeds max-affected preference constraint', `The query affects ${affected} rows`);
  }
}

export async function insertRows(tx: postgres.TransactionSql, request: TableRequest): Promise<RestResult> {
  const { table, query, prefs } = request;
  const rows = bodyRows(request.body, true);
  const names = payloadColumns(table, rows, query);
  const params = new Params();
  const target = `public.${quoteIdent(table.name)} as _t`;
  let statement: string;
  if (rows.length === 0 || names.length === 0) {
    if (rows.length === 0) return { status: 201, body: prefs.return === 'representation' ? '[]' : undefined, headers: {} };
    statement = `insert into ${target} default values`;
  } else if (prefs.missingDefault && rows.some((row) => names.some((n) => !(n in row)))) {
    // One VALUES row per object; absent keys take the column default.
    const values = rows.map((row) => {
      const record = params.add(JSON.stringify(row), 'json');
      return `(${names.map((n) => (n in row ? `(select ${quoteIdent(n)} from json_populate_record(null::public.${quoteIdent(table.name)}, ${record}))` : 'default')).join(', ')})`;
    });
    statement = `insert into ${target} (${names.map(quoteIdent).join(', ')}) values ${values.join(', ')}`;
  } else {
    const list = names.map(quoteIdent).join(', ');
    statement = `insert into ${target} (${list}) select ${list} from json_populate_recordset(null::public.${quoteIdent(table.name)}, ${params.add(JSON.stringify(rows), 'json')})`;
  }
  if (prefs.resolution) {
    const conflictParam = query.get('on_conflict');
    const conflict = conflictParam ? conflictParam.split(',').map((c) => unquote(c.trim())) : table.primaryKey;
    for (const name of conflict) if (!table.columns.has(name)) throw restErrors.undefinedColumn(name, table.name);
    if (conflict.length === 0) throw restErrors.parse('on_conflict', `table ${table.name} has no primary key; pass on_conflict`);
    const target = `(${conflict.map(quoteIdent).join(', ')})`;
    // As PostgREST (QueryBuilder.hs mutatePlanToQuery): every payload column is set, the conflict columns
    // too, so a body of only the conflict column still returns its row; each update is counted
    // (UPSERT_UPDATED) to answer 200 when nothing was inserted.
    statement += prefs.resolution === 'ignore-duplicates' || names.length === 0
      ? ` on conflict ${target} do nothing`
      : ` on conflict ${target} do update set ${names.map((n) => `${quoteIdent(n)} = excluded.${quoteIdent(n)}`).join(', ')}`
        + ` where set_config('${UPSERT_UPDATED}', (coalesce(nullif(current_setting('${UPSERT_UPDATED}', true), '')::int, 0) + 1)::text, true) is not null`;
  }
  statement += ` ${returningClause(request, params)}`;
  return finishWrite(tx, request, statement, params, 'insert');
}

const UPSERT_UPDATED = 'local_stack.upsert_updated';

export async function updateRows(tx: postgres.TransactionSql, request: TableRequest): Promise<RestResult> {
  const { table, query } = request;
  const [row] = bodyRows(request.body, false);
  const names = payloadColumns(table, [row!], new URLSearchParams());
  const params = new Params();
  if (names.length === 0) {
    return { status: request.prefs.return === 'representation' ? 200 : 204, body: request.prefs.return === 'representation' ? '[]' : undefined, headers: {} };
  }
  rejectWriteModifiers(query);
  const filters = parseFilters(query);
  if (filters.length === 0) throw unfilteredWrite('UPDATE');
  const list = names.map(quoteIdent).join(', ');
  const record = params.add(JSON.stringify(row), 'json');
  const set = `(${list}) = (select ${list} from json_populate_record(null::public.${quoteIdent(table.name)}, ${record}))`;
  const where = compileWhere(filters, columnSet(request), params);
  const statement = `update public.${quoteIdent(table.name)} as _t set ${names.length === 1 ? `${list} = (select ${list} from json_populate_record(null::public.${quoteIdent(table.name)}, ${record}))` : set}${where} ${returningClause(request, params)}`;
  return finishWrite(tx, request, statement, params, 'update');
}

export async function deleteRows(tx: postgres.TransactionSql, request: TableRequest): Promise<RestResult> {
  const { table, query } = request;
  const params = new Params();
  rejectWriteModifiers(query);
  const filters = parseFilters(query);
  if (filters.length === 0) throw unfilteredWrite('DELETE');
  const where = compileWhere(filters, columnSet(request), params);
  const statement = `delete from public.${quoteIdent(table.name)} as _t${where} ${returningClause(request, params)}`;
  return finishWrite(tx, request, statement, params, 'delete');
}
