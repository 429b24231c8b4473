// postgres_changes bindings from a phx_join: shape checks, filter parsing, and the catalog checks Realtime
// makes when it subscribes (the table exists, filter columns exist and the role may select them, filter
// values cast to the column type).
import type { Pool } from 'pg';
import { FilterError, parseFilters, type Filter } from './filters.ts';
import { isObject } from './protocol.ts';
import type { ChangeType } from './replication.ts';

export type BindingEvent = ChangeType | '*';

export interface PgBinding {
  id: number;
  event: BindingEvent;
  schema: string;
  /** '*' matches every table of `schema` ('*' schema: every published table). */
  table: string;
  filters: Filter[];
  /** `select` (realtime-js 2.10x): only these columns (and the primary key) in columns/record/old_record; null: all. */
  select: string[] | null;
  /** What the client sent, echoed back with the id (realtime-js matches the reply by position). */
  params: Record<string, unknown>;
}

export class BindingError extends Error {
  override name = 'BindingError';
}

const EVENTS = new Set(['INSERT', 'UPDATE', 'DELETE', '*']);

/** Parses the bindings without touching the database; throws BindingError on a malformed config. */
export function parseBindings(raw: unknown): PgBinding[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new BindingError('postgres_changes must be a list');
  return raw.map((params: unknown) => {
    if (!isObject(params)) throw new BindingError('each postgres_changes entry must be an object');
    const event = typeof params.event === 'string' ? params.event.toUpperCase() : '';
    if (!EVENTS.has(event)) throw new BindingError(`invalid postgres_changes event: ${String(params.event)}`);
    const schema = params.schema === undefined ? 'public' : params.schema;
    const table = params.table === undefined || params.table === null ? '*' : params.table;
    if (typeof schema !== 'string' || typeof table !== 'string' || schema === '' || table === '') {
      throw new BindingError('postgres_changes schema and table must be strings');
    }
    if (params.filter !== undefined && params.filter !== null && typeof params.filter !== 'string') {
      throw new BindingError('postgres_changes filter must be a string');
    }
    return { id: bindingId(params), event: event as BindingEvent, schema, table, filters: [], select: null, params };
  });
}

/** Realtime uses :erlang.phash2(params); any stable 27-bit hash of the params does (ids are opaque to clients). */
function bindingId(params: Record<string, unknown>): number {
  const text = JSON.stringify([params.event, params.schema, params.table, params.filter ?? null, params.select ?? null]);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7ffffff;
}

/** Validates the bindings against the catalog for `role`; throws BindingError with Realtime's message. */
export async function resolveBindings(pool: Pool, role: string, bindings: PgBinding[]): Promise<void> {
  for (const binding of bindings) {
    const describe = () => {
      const filter = typeof binding.params.filter === 'string' ? binding.params.filter : '';
      return 'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given ' +
        `connect parameters: [event: ${binding.event}, schema: ${binding.schema}, table: ${binding.table}, filters: [${filter}]]`;
    };
    try {
      binding.filters = parseFilters(binding.params.filter as string | undefined);
    } catch (error) {
      if (error instanceof FilterError) throw new BindingError(`${describe()}: ${error.message}`);
      throw error;
    }
    binding.select = parseSelect(binding);
    if (binding.schema === '*' || binding.table === '*') {
      if (binding.schema !== '*') {
        const { rowCount } = await pool.query('select 1 from pg_namespace where nspname = $1', [binding.schema]);
        if (!rowCount) throw new BindingError(describe());
      }
      continue; // columns cannot be checked for a wildcard: a filter on a missing column simply never matches
    }
    const { rows: [table] } = await pool.query<{ oid: number }>(
      `select c.oid::int as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p', 'v', 'm', 'f')`,
      [binding.schema, binding.table],
    );
    if (!table) throw new BindingError(describe());
    for (const name of binding.select ?? []) {
      const { rows: [column] } = await pool.query<{ selectable: boolean }>(
        `select has_column_privilege($3, a.attrelid, a.attnum, 'SELECT') as selectable
           from pg_attribute a where a.attrelid = $1 and a.attname = $2 and a.attnum > 0 and not a.attisdropped`,
        [table.oid, name, role],
      );
      if (!column?.selectable) {
        // The subscription insert trigger's exception (realtime.subscription_check_filters), as Subscriptions.create words it.
        const filter = typeof binding.params.filter === 'string' ? binding.params.filter : '';
        throw new BindingError('Unable to subscribe to changes with given parameters. An exception happened so please check your connect '
          + `parameters: [event: ${binding.event}, schema: ${binding.schema}, table: ${binding.table}, filters: [${filter}], `
          + `select: ${JSON.stringify(binding.select)}]. Exception: ERROR P0001 (raise_exception) invalid column for select ${name}`);
      }
    }
    for (const filter of binding.filters) {
      const { rows: [column] } = await pool.query<{ type: string; selectable: boolean }>(
        `select format_type(a.atttypid, a.atttypmod) as type,
                has_column_privilege($3, a.attrelid, a.attnum, 'SELECT') as selectable
           from pg_attribute a where a.attrelid = $1 and a.attname = $2 and a.attnum > 0 and not a.attisdropped`,
        [table.oid, filter.column, role],
      );
      if (!column || !column.selectable) throw new BindingError(`${describe()}: invalid column for filter ${filter.column}`);
      const operands = filter.op === 'in' ? filter.values : ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'isdistinct'].includes(filter.op) ? [filter.value] : [];
      for (const operand of operands) {
        try {
          await pool.query(`select $1::text::${column.type}`, [operand]);
        } catch (error) {
          throw new BindingError(`${describe()}: ${(error as Error).message}`);
        }
      }
    }
  }
}

/** Subscriptions.parse_select: a list of column names (non-strings dropped, none left: every column). */
function parseSelect(binding: PgBinding): string[] | null {
  const raw = binding.params.select;
  if (typeof raw === 'string') {
    throw new BindingError('Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]');
  }
  const names = Array.isArray(raw) ? raw.filter((name): name is string => typeof name === 'string') : [];
  if (names.length === 0) return null;
  if (binding.schema === '*' || binding.table === '*') {
    throw new BindingError('Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.');
  }
  return names;
}
