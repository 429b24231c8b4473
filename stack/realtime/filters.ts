// postgres_changes `filter` strings: `column=[not.]op.value`, several joined by commas (AND), as built by
// realtime-js' postgresChangesFilter(). Evaluated here in memory against the decoded record, with
// Postgres' three-valued logic (a NULL column never passes a comparison).

export type FilterOp =
  | 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'like' | 'ilike' | 'is' | 'match' | 'imatch' | 'isdistinct';

const OPS = new Set<FilterOp>(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'like', 'ilike', 'is', 'match', 'imatch', 'isdistinct']);
const MAX_IN_VALUES = 100;

export interface Filter {
  column: string;
  op: FilterOp;
  negate: boolean;
  /** Scalar operand (unquoted); for `in` the list is in `values`. */
  value: string;
  values: string[];
  pattern?: RegExp;
}

export class FilterError extends Error {
  override name = 'FilterError';
}

export function parseFilters(filter: string | undefined | null): Filter[] {
  if (filter === undefined || filter === null || filter === '') return [];
  return splitTopLevel(filter).map(parseCondition);
}

function parseCondition(condition: string): Filter {
  const eq = condition.indexOf('=');
  if (eq <= 0) throw new FilterError(`Error parsing \`filter\` params: ${condition}`);
  const column = condition.slice(0, eq).trim();
  let rest = condition.slice(eq + 1);
  let negate = false;
  if (rest.startsWith('not.')) {
    negate = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  const op = (dot < 0 ? rest : rest.slice(0, dot)) as FilterOp;
  if (dot < 0 || !OPS.has(op)) throw new FilterError(`Error parsing \`filter\` params: ${condition}`);
  const raw = rest.slice(dot + 1);
  const result: Filter = { column, op, negate, value: '', values: [] };
  if (op === 'in') {
    const match = /^\((.*)\)$/s.exec(raw);
    if (!match) throw new FilterError('`in` filter value must be wrapped by parentheses');
    result.values = match[1] === '' ? [] : splitTopLevel(match[1]!).map(unquote);
    if (result.values.length > MAX_IN_VALUES) throw new FilterError('too many values for `in` filter. Maximum 100');
    return result;
  }
  result.value = unquote(raw);
  if (op === 'is' && !['null', 'true', 'false', 'unknown'].includes(result.value.toLowerCase())) {
    throw new FilterError('invalid value for is filter: must be null, true, false, or unknown');
  }
  if (op === 'like' || op === 'ilike') result.pattern = likeToRegExp(result.value, op === 'ilike');
  if (op === 'match' || op === 'imatch') {
    try {
      result.pattern = new RegExp(result.value, op === 'imatch' ? 'i' : '');
    } catch (error) {
      throw new FilterError(`invalid regular expression for ${op} filter: ${(error as Error).message}`);
    }
  }
  return result;
}

/** true when every condition holds for `record` (decoded JSON values); columns are typed by `types`. */
export function matchesFilters(filters: Filter[], record: Record<string, unknown> | null, types: ReadonlyMap<string, string>): boolean {
  if (filters.length === 0) return true;
  if (!record) return false;
  for (const filter of filters) {
    // A column absent from the record (e.g. a non-key column of a DELETE) cannot be verified: fail closed.
    if (!(filter.column in record)) return false;
    let result = evaluate(filter, record[filter.column], types.get(filter.column) ?? 'text');
    if (filter.negate && result !== null) result = !result;
    if (result !== true) return false;
  }
  return true;
}

function evaluate(filter: Filter, value: unknown, type: string): boolean | null {
  switch (filter.op) {
    case 'is': {
      const wanted = filter.value.toLowerCase();
      if (wanted === 'null' || wanted === 'unknown') return value === null;
      return value === (wanted === 'true');
    }
    case 'isdistinct':
      if (value === null) return true;
      return compare(value, filter.value, type) !== 0;
    case 'in': {
      if (value === null) return null;
      return filter.values.some((candidate) => compare(value, candidate, type) === 0);
    }
    case 'like': case 'ilike': case 'match': case 'imatch':
      if (value === null) return null;
      return filter.pattern!.test(typeof value === 'string' ? value : JSON.stringify(value));
    default: {
      if (value === null) return null;
      const order = compare(value, filter.value, type);
      if (order === null) return null;
      switch (filter.op) {
        case 'eq': return order === 0;
        case 'neq': return order !== 0;
        case 'lt': return order < 0;
        case 'lte': return order <= 0;
        case 'gt': return order > 0;
        case 'gte': return order >= 0;
      }
      return null;
    }
  }
}

const NUMERIC = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'oid', 'money']);
const TEMPORAL = new Set(['timestamptz', 'timestamp', 'date']);

/** Orders a record value against a filter operand the way the column's type would; null if incomparable. */
function compare(value: unknown, operand: string, type: string): number | null {
  if (NUMERIC.has(type)) {
    const a = typeof value === 'number' ? value : Number(value);
    const b = Number(operand);
    if (Number.isNaN(a) || Number.isNaN(b) || operand.trim() === '') return null;
    return Math.sign(a - b);
  }
  if (type === 'bool') {
    const b = parseBoolean(operand);
    if (b === null || typeof value !== 'boolean') return null;
    return value === b ? 0 : value ? 1 : -1;
  }
  if (type === 'json' || type === 'jsonb') {
    try {
      return JSON.stringify(value) === JSON.stringify(JSON.parse(operand)) ? 0 : 1;
    } catch {
      return null;
    }
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (TEMPORAL.has(type)) {
    const a = Date.parse(text);
    const b = Date.parse(operand);
    if (!Number.isNaN(a) && !Number.isNaN(b) && a !== b) return Math.sign(a - b);
  }
  if (type === 'uuid') return compareText(text.toLowerCase(), operand.toLowerCase());
  return compareText(text, operand);
}

function compareText(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function parseBoolean(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  if (['t', 'true', 'yes', 'y', 'on', '1'].includes(v)) return true;
  if (['f', 'false', 'no', 'n', 'off', '0'].includes(v)) return false;
  return null;
}

function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Splits on commas outside double quotes and parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) throw new FilterError('Error parsing `filter` params: unterminated quote');
  parts.push(text.slice(start));
  return parts;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}
