// Turns parsed requests into SQL text plus parameters. Identifiers are only ever names that the
// schema cache confirmed (and are quoted anyway); every value is a bound parameter.
import { compileEmbed, type EmbedContext } from './embed.ts';
import { restErrors } from './errors.ts';
import { parseList, type Field, type Filter, type OrderTerm, type SelectItem } from './parse.ts';
import type { SchemaSnapshot, TableInfo } from './schema-cache.ts';

export type { EmbedContext } from './embed.ts';

export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    // JSON travels as text: postgres.js would JSON-encode a string bound to a json parameter again.
    if (cast === 'json' || cast === 'jsonb') return `$${this.values.length}::text::${cast}`;
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }
}

export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw restErrors.parse('identifier', 'NUL in identifier');
  return `"${name.replaceAll('"', '""')}"`;
}

/** Columns a source exposes; `label` is used in error messages (the table name). */
export interface ColumnSet {
  label: string;
  has(column: string): boolean;
  /** The column's type (format_type), when known: json/jsonb values are bound as such. */
  type?(column: string): string | undefined;
  /** A computed field: the function (taking the row) that `name` stands for. */
  computed?(name: string): string | undefined;
}

/** The columns of a table or view, with its computed fields. */
export function tableColumns(table: TableInfo, schema: SchemaSnapshot): ColumnSet {
  const computed = schema.computedFields.get(table.name);
  return {
    label: table.name,
    has: (column) => table.columns.has(column) || Boolean(computed?.has(column)),
    type: (column) => table.columns.get(column)?.type,
    computed: (name) => (table.columns.has(name) ? undefined : computed?.get(name)),
  };
}

/** The SQL type of a filtered field when it is json or jsonb (a `->>` step makes it text). */
function jsonType(field: Field, columns: ColumnSet): 'json' | 'jsonb' | undefined {
  const type = columns.type?.(field.column);
  if (type !== 'json' && type !== 'jsonb') return undefined;
  const last = field.path[field.path.length - 1];
  return last && last.arrow === '->>' ? undefined : type;
}

export function compileField(field: Field, columns: ColumnSet, params: Params, alias = '_t'): string {
  if (!columns.has(field.column)) throw restErrors.undefinedColumn(field.column, columns.label);
  const fn = columns.computed?.(field.column);
  let sql = fn ? `public.${quoteIdent(fn)}(${alias})` : `${alias}.${quoteIdent(field.column)}`;
  for (const step of field.path) {
    sql = `(${sql}${step.arrow}${params.add(step.key, /^-?[0-9]+$/.test(step.key) ? 'int' : 'text')})`;
  }
  return sql;
}

function outputName(item: Extract<SelectItem, { kind: 'field' }>): string {
  if (item.alias) return item.alias;
  const last = item.field.path[item.field.path.length - 1];
  return last ? last.key : item.field.column;
}

export function compileSelect(items: SelectItem[], columns: ColumnSet, params: Params, embed?: EmbedContext, alias = '_t'): string {
  return items
    .map((item) => {
      if (item.kind === 'star') return `${alias}.*`;
      if (item.kind === 'embed') {
        if (!embed) throw restErrors.unsupported(`Resource embedding on rpc results that are not a table's rows ("${item.name}")`);
        return compileEmbed(item, embed, params, alias);
      }
      const expr = compileField(item.field, columns, params, alias);
      const cast = item.cast ? `::${item.cast === 'int' ? 'integer' : item.cast}` : '';
      return `${expr}${cast} as ${quoteIdent(outputName(item))}`;
    })
    .filter((part): part is string => part !== undefined)
    .join(', ');
}

const COMPARISONS: Record<string, string> = {
  eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'like', ilike: 'ilike',
  match: '~', imatch: '~*', cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxr: '&<', nxl: '&>', adj: '-|-',
  isdistinct: 'is distinct from',
};
/** Operators PostgREST accepts `(any)`/`(all)` on: `like(any).{a*,b*}` is `like any('{a%,b%}')`. */
const QUANTIFIABLE = new Set(['eq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch']);
const TEXT_SEARCH: Record<string, string> = {
  fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery',
};
const IS_VALUES: Record<string, string> = { null: 'null', not_null: 'not null', true: 'true', false: 'false', unknown: 'unknown' };

export function compileFilter(filter: Filter, columns: ColumnSet, params: Params, alias = '_t'): string {
  const sql = filter.kind === 'logic'
    ? `(${filter.children.map((child) => compileFilter(child, columns, params, alias)).join(` ${filter.op} `)})`
    : compileOperation(filter, columns, params, alias);
  return filter.negated ? `not ${sql}` : sql;
}

function compileOperation(filter: Extract<Filter, { kind: 'op' }>, columns: ColumnSet, params: Params, alias: string): string {
  const field = compileField(filter.field, columns, params, alias);
  const { operator, value } = filter;
  if (operator === 'is') {
    const keyword = IS_VALUES[value.toLowerCase()];
    if (!keyword) throw restErrors.parse('filter', `"is" accepts null, not_null, true, false or unknown, not "${value}"`);
    return `(${field} is ${keyword})`;
  }
  if (operator === 'in') {
    const items = parseList(value);
    if (items.length === 0) return 'false';
    return `(${field} in (${items.map((item) => params.add(item)).join(', ')}))`;
  }
  if (TEXT_SEARCH[operator]) {
    const fn = TEXT_SEARCH[operator];
    const lang = filter.modifier ? `${params.add(filter.modifier, 'regconfig')}, ` : '';
    return `(${field} @@ ${fn}(${lang}${params.add(value)}))`;
  }
  const comparison = COMPARISONS[operator];
  if (!comparison) throw restErrors.parse('filter', `unknown operator "${operator}"`);
  let bound = value;
  if (operator === 'like' || operator === 'ilike') bound = value.replaceAll('*', '%');
  if (operator === 'ov' && value.startsWith('(') && value.endsWith(')')) bound = `{${value.slice(1, -1)}}`;
  if (filter.modifier !== undefined) {
    if (!QUANTIFIABLE.has(operator) || (filter.modifier !== 'any' && filter.modifier !== 'all')) {
      throw restErrors.parse('filter', `"${operator}(${filter.modifier})" is not an operator; (any) and (all) apply to ${[...QUANTIFIABLE].join(', ')}`);
    }
    return `(${field} ${comparison} ${filter.modifier}(${params.add(bound)}))`;
  }
  // postgres.js would JSON-encode a text value bound to a parameter Postgres infers as json(b).
  return `(${field} ${comparison} ${params.add(bound, jsonType(filter.field, columns))})`;
}

export function compileWhere(filters: Filter[], columns: ColumnSet, params: Params, extra: string[] = [], alias = '_t'): string {
  const conditions = [...filters.map((f) => compileFilter(f, columns, params, alias)), ...extra];
  if (conditions.length === 0) return '';
  return ` where ${conditions.join(' and ')}`;
}

export function compileOrder(terms: OrderTerm[], columns: ColumnSet, params: Params, alias = '_t'): string {
  if (terms.length === 0) return '';
  const parts = terms.map((term) => {
    const nulls = term.nulls ? ` nulls ${term.nulls}` : '';
    return `${compileField(term.field, columns, params, alias)} ${term.direction}${nulls}`;
  });
  return ` order by ${parts.join(', ')}`;
}

export function compileLimit(limit: number | undefined, offset: number | undefined, params: Params): string {
  let sql = '';
  if (limit !== undefined) sql += ` limit ${params.add(limit, 'bigint')}`;
  if (offset !== undefined && offset > 0) sql += ` offset ${params.add(offset, 'bigint')}`;
  return sql;
}
