// Parses PostgREST's query grammar (select, filters with logic trees, order, limit/offset) into
// plain data. Nothing here touches SQL: names are checked against the schema cache later.
import { restErrors } from './errors.ts';

export interface JsonStep {
  arrow: '->' | '->>';
  key: string;
}

export interface Field {
  column: string;
  path: JsonStep[];
}

export type SelectItem =
  | { kind: 'star' }
  | { kind: 'field'; field: Field; alias?: string; cast?: string }
  | { kind: 'embed'; name: string; alias?: string; hint?: string; inner: boolean; spread: boolean; select: SelectItem[] };

export type Filter =
  | { kind: 'op'; field: Field; negated: boolean; operator: string; modifier?: string; value: string }
  | { kind: 'logic'; op: 'and' | 'or'; negated: boolean; children: Filter[] };

export interface OrderTerm {
  field: Field;
  direction: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

export const OPERATORS = new Set([
  'eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'in', 'is', 'isdistinct',
  'cs', 'cd', 'ov', 'sl', 'sr', 'nxl', 'nxr', 'adj', 'fts', 'plfts', 'phfts', 'wfts',
]);

export const CASTS = new Set([
  'text', 'varchar', 'char', 'int', 'int2', 'int4', 'int8', 'integer', 'bigint', 'smallint', 'numeric',
  'float4', 'float8', 'real', 'bool', 'boolean', 'json', 'jsonb', 'uuid', 'date', 'time', 'timestamp',
  'timestamptz', 'interval',
]);

/** Query keys that are not column filters. */
export const RESERVED_KEYS = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict', 'apikey']);

/** Splits on commas that are not inside parentheses or double quotes. */
export function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < input.length; i += 1) {
    const ch = input[i]!;
    if (ch === '\\' && quoted && i + 1 < input.length) {
      current += ch + input[i + 1];
      i += 1;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth += 1;
    else if (!quoted && ch === ')') depth -= 1;
    if (ch === ',' && depth === 0 && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
    if (depth < 0) throw restErrors.parse('input', `unbalanced parentheses in "${input}"`);
  }
  if (depth !== 0 || quoted) throw restErrors.parse('input', `unbalanced parentheses or quotes in "${input}"`);
  parts.push(current);
  return parts;
}

export function parseField(raw: string): Field {
  const text = raw.trim();
  const pieces = text.split(/(->>|->)/);
  const column = unquote(pieces[0] ?? '');
  if (!column) throw restErrors.parse('field', `empty column name in "${raw}"`);
  const path: JsonStep[] = [];
  for (let i = 1; i < pieces.length; i += 2) {
    const key = unquote(pieces[i + 1] ?? '');
    if (!key) throw restErrors.parse('field', `empty JSON key in "${raw}"`);
    path.push({ arrow: pieces[i] as '->' | '->>', key });
  }
  return { column, path };
}

export function parseSelect(raw: string | null): SelectItem[] {
  if (raw === null || raw.trim() === '' || raw.trim() === '*') return [{ kind: 'star' }];
  return splitTopLevel(raw).map((part): SelectItem => {
    const item = part.trim();
    if (item === '*') return { kind: 'star' };
    if (/(^|[.:])(count|sum|avg|min|max)\(\s*\)(::[a-z0-9_]+)?$/i.test(item)) {
      throw restErrors.unsupported(`Aggregate functions in select ("${item}")`);
    }
    if (item.includes('(')) return parseEmbed(item);
    let rest = item;
    let alias: string | undefined;
    const aliasMatch = /^([^:]+):(?!:)(.*)$/.exec(rest);
    if (aliasMatch) {
      alias = unquote(aliasMatch[1]!.trim());
      rest = aliasMatch[2]!;
    }
    let cast: string | undefined;
    const castIndex = rest.lastIndexOf('::');
    if (castIndex >= 0) {
      cast = rest.slice(castIndex + 2).trim().toLowerCase();
      rest = rest.slice(0, castIndex);
      if (!CASTS.has(cast)) throw restErrors.parse('select', `unsupported cast "${cast}" in "${item}"`);
    }
    if (!rest.trim()) throw restErrors.parse('select', `empty item in "${raw}"`);
    return { kind: 'field', field: parseField(rest), alias, cast };
  });
}

/** `[alias:][...]name[!hint][!inner](select)` */
function parseEmbed(item: string): SelectItem {
  const match = /^(?:([^:(]+):)?(\.\.\.)?([^!(]+)((?:![^!(]+)*)\(([\s\S]*)\)$/.exec(item);
  if (!match) throw restErrors.parse('select', `malformed embedded resource "${item}"`);
  const modifiers = (match[4] ?? '').split('!').filter(Boolean);
  const inner = modifiers.includes('inner');
  const hint = modifiers.find((m) => m !== 'inner' && m !== 'left');
  return {
    kind: 'embed',
    alias: match[1] ? unquote(match[1].trim()) : undefined,
    spread: Boolean(match[2]),
    name: unquote(match[3]!.trim()),
    hint,
    inner,
    // `rel()` selects nothing: PostgREST leaves the embed out (it can still filter with !inner).
    select: match[5]!.trim() === '' ? [] : parseSelect(match[5]!),
  };
}

/** `[not.]operator[(modifier)].value` */
export function parseOperation(field: Field, raw: string): Filter {
  let text = raw;
  let negated = false;
  if (text.startsWith('not.')) {
    negated = true;
    text = text.slice(4);
  }
  const match = /^([a-z]+)(?:\(([^)]*)\))?\.([\s\S]*)$/.exec(text);
  if (!match || !OPERATORS.has(match[1]!)) {
    throw restErrors.parse('filter', `unknown or malformed operator in "${raw}"`);
  }
  return { kind: 'op', field, negated, operator: match[1]!, modifier: match[2] || undefined, value: match[3]! };
}

/** A query parameter `key=value` that is a filter (column or logic tree). */
export function parseFilterParam(key: string, value: string): Filter {
  const logic = /^(not\.)?(and|or)$/.exec(key);
  if (logic) return parseLogic(logic[2] as 'and' | 'or', Boolean(logic[1]), value);
  if (embeddedKey(key)) throw restErrors.parse('filter', `"${key}" filters an embedded resource here`);
  return parseOperation(parseField(key), value);
}

/** `rel.column`, `rel.or`, `rel.not.and`: a filter on the embedded resource `rel`. */
export function embeddedKey(key: string): { embed: string; key: string } | undefined {
  if (/^(not\.)?(and|or)$/.test(key)) return undefined;
  const dot = key.indexOf('.');
  const arrow = key.indexOf('->');
  if (dot <= 0 || (arrow >= 0 && arrow < dot)) return undefined;
  return { embed: unquote(key.slice(0, dot)), key: key.slice(dot + 1) };
}

function parseLogic(op: 'and' | 'or', negated: boolean, raw: string): Filter {
  const text = raw.trim();
  if (!text.startsWith('(') || !text.endsWith(')')) throw restErrors.parse('logic tree', `expected "(…)" in "${raw}"`);
  const children = splitTopLevel(text.slice(1, -1)).map((part) => parseLogicItem(part.trim()));
  if (children.length === 0) throw restErrors.parse('logic tree', `empty "${raw}"`);
  return { kind: 'logic', op, negated, children };
}

function parseLogicItem(item: string): Filter {
  const nested = /^(not\.)?(and|or)(\([\s\S]*\))$/.exec(item);
  if (nested) return parseLogic(nested[2] as 'and' | 'or', Boolean(nested[1]), nested[3]!);
  const dot = item.indexOf('.');
  if (dot <= 0) throw restErrors.parse('logic tree', `malformed item "${item}"`);
  const filter = parseOperation(parseField(item.slice(0, dot)), item.slice(dot + 1));
  if (filter.kind === 'op' && filter.operator !== 'in') filter.value = unquote(filter.value);
  return filter;
}

export function parseOrder(raw: string | null): OrderTerm[] {
  if (!raw) return [];
  return splitTopLevel(raw).map((part) => {
    const pieces = part.trim().split('.');
    const modifiers = [];
    while (pieces.length > 1 && ['asc', 'desc', 'nullsfirst', 'nullslast'].includes(pieces[pieces.length - 1]!)) {
      modifiers.unshift(pieces.pop()!);
    }
    if (pieces.join('.').includes('(')) throw restErrors.unsupported(`Ordering by an embedded resource ("${part.trim()}")`);
    const term: OrderTerm = { field: parseField(pieces.join('.')), direction: 'asc' };
    for (const modifier of modifiers) {
      if (modifier === 'asc' || modifier === 'desc') term.direction = modifier;
      else term.nulls = modifier === 'nullsfirst' ? 'first' : 'last';
    }
    return term;
  });
}

export function parseNonNegativeInt(name: string, raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(raw)) throw restErrors.parse(name, `"${raw}" is not a non-negative integer`);
  return Number(raw);
}

/** `in.(a,"b,c")` list items. */
export function parseList(raw: string): string[] {
  const text = raw.trim();
  if (!text.startsWith('(') || !text.endsWith(')')) throw restErrors.parse('filter', `expected a list "(…)" in "${raw}"`);
  const inner = text.slice(1, -1);
  if (inner.trim() === '') return [];
  return splitTopLevel(inner).map((item) => unquote(item.trim()));
}

export function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return text.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return text;
}
