// Resource embedding: `rel(cols)` in a select becomes a correlated subquery through the relationship
// findRelationship() picks (foreign key, many-to-many junction or computed relationship): an object (or
// null) when it is to-one, an array otherwise. It runs as the caller, so RLS applies to it too.
// Query parameters scoped to an embed (`rel.col=eq.x`, `rel.order=…`, `rel.limit=…`, `rel.sub.col=…`) apply inside it.
import { compileFilter, compileLimit, compileOrder, compileSelect, quoteIdent, tableColumns, type Params } from './compile.ts';
import { RestError, restErrors } from './errors.ts';
import { embeddedKey, parseFilterParam, parseNonNegativeInt, parseOrder, type Filter, type SelectItem } from './parse.ts';
import { findRelationship, isToOne } from './relationships.ts';
import type { SchemaSnapshot } from './schema-cache.ts';

/** What resource embedding needs: the schema and the table (or view) being selected from. */
export interface EmbedContext {
  schema: SchemaSnapshot;
  table: string;
  counter: { n: number };
  /** Query parameters addressed to embedded resources, by embed name or alias: [key inside it, value]. Consumed when compiled. */
  scoped: Map<string, [string, string][]>;
  /** Conditions `!inner` embeds add to the parent's WHERE. */
  parentConditions: string[];
}

const MODIFIERS = new Set(['order', 'limit', 'offset']);

/** `rel.col=op.value` (and `rel.order=…`, `rel.sub.col=…`) query parameters, grouped by the embed they address. */
export function scopedParams(entries: Iterable<[string, string]>, skip: (key: string) => boolean = () => false): Map<string, [string, string][]> {
  const byEmbed = new Map<string, [string, string][]>();
  for (const [key, value] of entries) {
    const target = skip(key) ? undefined : embeddedKey(key);
    if (!target) continue;
    if (target.key === 'select') throw restErrors.parse('filter', `"${key}": select embedded columns in the select parameter`);
    byEmbed.set(target.embed, [...(byEmbed.get(target.embed) ?? []), [target.key, value]]);
  }
  return byEmbed;
}

/** `rel.col=…` for a `rel` the select does not embed (PostgREST's PGRST108). */
export function rejectUnusedScopedParams(ctx: EmbedContext): void {
  const unused = [...ctx.scoped.keys()][0];
  if (unused !== undefined) {
    throw new RestError(400, 'PGRST108', `'${unused}' is not an embedded resource in this request`, null, `Verify that '${unused}' is included in the 'select' query parameter.`);
  }
}

/** The embed's subquery as a select item, or undefined for an empty embed `rel()` (PostgREST omits it). */
export function compileEmbed(item: Extract<SelectItem, { kind: 'embed' }>, ctx: EmbedContext, params: Params, parentAlias: string): string | undefined {
  if (item.spread) throw restErrors.unsupported(`Spread embedding ("...${item.name}")`);
  const rel = findRelationship(ctx.schema.relationships, ctx.table, item.name, item.hint);
  const target = ctx.schema.tables.get(rel.foreignTable);
  if (!target) throw restErrors.unknownTable(rel.foreignTable);
  ctx.counter.n += 1;
  const n = ctx.counter.n;
  const childAlias = `_e${n}`;
  const childColumns = tableColumns(target, ctx.schema);

  const key = item.alias ?? item.name;
  const entries = ctx.scoped.get(key) ?? [];
  ctx.scoped.delete(key);
  const filters: Filter[] = [];
  const modifiers = new Map<string, string>();
  const nestedEntries: [string, string][] = [];
  for (const [k, v] of entries) {
    if (MODIFIERS.has(k)) modifiers.set(k, v);
    else if (embeddedKey(k)) nestedEntries.push([k, v]);
    else filters.push(parseFilterParam(k, v));
  }
  const nested: EmbedContext = { schema: ctx.schema, table: target.name, counter: ctx.counter, scoped: scopedParams(nestedEntries), parentConditions: [] };
  const childSelect = compileSelect(item.select, childColumns, params, nested, childAlias);
  rejectUnusedScopedParams(nested);

  let from: string;
  let join: string[];
  const table = `public.${quoteIdent(target.name)} ${childAlias}`;
  if (rel.kind === 'fk') {
    from = table;
    join = rel.columns.map(([origin, column]) => `${childAlias}.${quoteIdent(column)} = ${parentAlias}.${quoteIdent(origin)}`);
  } else if (rel.kind === 'm2m') {
    const j = `_j${n}`;
    const on = rel.junction.targetColumns.map(([column, jc]) => `${j}.${quoteIdent(jc)} = ${childAlias}.${quoteIdent(column)}`).join(' and ');
    from = `${table} join public.${quoteIdent(rel.junction.table)} ${j} on ${on}`;
    join = rel.junction.sourceColumns.map(([origin, jc]) => `${j}.${quoteIdent(jc)} = ${parentAlias}.${quoteIdent(origin)}`);
  } else {
    from = `public.${quoteIdent(rel.function)}(${parentAlias}) ${childAlias}`;
    join = [];
  }
  const conditions = () => {
    const all = [...join, ...filters.map((f) => compileFilter(f, childColumns, params, childAlias)), ...nested.parentConditions];
    return all.length ? ` where ${all.join(' and ')}` : '';
  };
  if (item.inner) ctx.parentConditions.push(`exists (select 1 from ${from}${conditions()})`);
  if (childSelect === '') return undefined;

  const order = compileOrder(parseOrder(modifiers.get('order') ?? null), childColumns, params, childAlias);
  const limit = compileLimit(parseNonNegativeInt('limit', modifiers.get('limit') ?? null), parseNonNegativeInt('offset', modifiers.get('offset') ?? null), params);
  const inner = `select ${childSelect} from ${from}${conditions()}${order}${limit}`;
  const rowAlias = `_x${n}`;
  const name = quoteIdent(key);
  return isToOne(rel)
    ? `(select to_json(${rowAlias}) from (${inner}) ${rowAlias}) as ${name}`
    : `(select coalesce(json_agg(${rowAlias}), '[]'::json) from (${inner}) ${rowAlias}) as ${name}`;
}
