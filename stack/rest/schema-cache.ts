// What PostgREST calls the schema cache: the tables, columns and functions of the exposed schema
// (`public`), read from pg_catalog. Every identifier in a request is checked against it before any
// SQL is built. Reloaded when older than a moment and whenever a lookup misses (new migrations).
import type postgres from 'postgres';
import { buildRelationships, type RawForeignKey, type Relationship } from './relationships.ts';
import { readViewKeyDependencies } from './view-keys.ts';

export interface ColumnInfo {
  name: string;
  type: string;
}

export interface TableInfo {
  name: string;
  kind: string;
  columns: Map<string, ColumnInfo>;
  primaryKey: string[];
}

export interface FunctionArg {
  name: string;
  type: string;
  mode: 'i' | 'o' | 'b' | 'v' | 't';
}

export interface FunctionInfo {
  name: string;
  /** Input arguments in declaration order (IN, INOUT, VARIADIC). */
  inputs: FunctionArg[];
  /** Output columns for RETURNS TABLE / OUT parameters. */
  outputs: FunctionArg[];
  defaults: number;
  returnsSet: boolean;
  returnsVoid: boolean;
  /** 'c' composite, 'b' base, 'd' domain, 'e' enum, 'p' pseudo (record, void), 'r' range. */
  returnTypeKind: string;
  /** The table or view whose row type the function returns, when it does. */
  returnTable: string | undefined;
  volatile: boolean;
}

export interface SchemaSnapshot {
  tables: Map<string, TableInfo>;
  functions: Map<string, FunctionInfo[]>;
  /** Every relationship resource embedding can use, PostgREST's way (relationships.ts). */
  relationships: Relationship[];
  /** Computed fields: table → field name → function (a function taking the table's row, not returning rows). */
  computedFields: Map<string, Map<string, string>>;
}

const MAX_AGE_MS = 1_000;

export function createSchemaCache(sql: postgres.Sql) {
  let snapshot: SchemaSnapshot | undefined;
  let loadedAt = 0;
  let loading: Promise<SchemaSnapshot> | undefined;

  function load(): Promise<SchemaSnapshot> {
    loading ??= readSchema(sql)
      .then((result) => {
        snapshot = result;
        loadedAt = Date.now();
        return result;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  }

  async function current(): Promise<SchemaSnapshot> {
    if (snapshot && Date.now() - loadedAt < MAX_AGE_MS) return snapshot;
    return load();
  }

  /** Runs `find` on the cached schema; on a miss reloads once and tries again. */
  async function lookup<T>(find: (schema: SchemaSnapshot) => T | undefined): Promise<T | undefined> {
    const found = find(await current());
    if (found !== undefined) return found;
    return find(await load());
  }

  return {
    table: (name: string) => lookup((s) => s.tables.get(name)),
    functions: (name: string) => lookup((s) => s.functions.get(name)),
    /** Reloads now (after a table changed shape). */
    reload: () => load(),
    current,
  };
}

export type SchemaCache = ReturnType<typeof createSchemaCache>;

async function readSchema(sql: postgres.Sql): Promise<SchemaSnapshot> {
  const columns = await sql<{ table_name: string; kind: string; column_name: string | null; column_type: string | null }[]>`
    select c.relname as table_name, c.relkind::text as kind, a.attname as column_name,
           format_type(a.atttypid, a.atttypmod) as column_type
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'f', 'p')
     order by c.relname, a.attnum`;
  const keys = await sql<{ table_name: string; column_name: string }[]>`
    select c.relname as table_name, a.attname as column_name
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid
      join pg_namespace n on n.oid = c.relnamespace
      join lateral unnest(k.conkey) with ordinality as key(attnum, ord) on true
      join pg_attribute a on a.attrelid = c.oid and a.attnum = key.attnum
     where n.nspname = 'public' and k.contype = 'p'
     order by c.relname, key.ord`;
  // PostgREST's allM2OandO2ORels (SchemaCache.hs): every foreign key, one-to-one when its columns are a key.
  const foreignKeys = await sql<RawForeignKey[]>`
    with pks_uniques_cols as (
      select conrelid, array_agg(key order by key) as cols
        from pg_constraint, lateral unnest(conkey) as _(key)
       where contype in ('p', 'u') and connamespace <> 'pg_catalog'::regnamespace
       group by oid, conrelid
    )
    select traint.conname as name, ns1.nspname as schema, tab.relname as table,
           ns2.nspname as "refSchema", other.relname as "refTable",
           column_info.names as columns, column_info.ref_names as "refColumns",
           (column_info.cols in (select cols from pks_uniques_cols where conrelid = traint.conrelid)) as "oneToOne"
      from pg_constraint traint
      join lateral (
        select array_agg(cols.attname::text order by ord) as names, array_agg(refs.attname::text order by ord) as ref_names,
               array_agg(cols.attnum order by cols.attnum) as cols
          from unnest(traint.conkey, traint.confkey) with ordinality as _(col, ref, ord)
          join pg_attribute cols on cols.attrelid = traint.conrelid and cols.attnum = col
          join pg_attribute refs on refs.attrelid = traint.confrelid and refs.attnum = ref
      ) as column_info on true
      join pg_namespace ns1 on ns1.oid = traint.connamespace
      join pg_class tab on tab.oid = traint.conrelid
      join pg_class other on other.oid = traint.confrelid
      join pg_namespace ns2 on ns2.oid = other.relnamespace
     where traint.contype = 'f' and traint.conparentid = 0
     order by traint.conrelid, traint.conname`;
  const keyDeps = await readViewKeyDependencies(sql);
  const functions = await sql<{
    name: string; args: FunctionArg[]; defaults: number; returns_set: boolean; returns_void: boolean;
    return_kind: string; return_table: string | null; volatile: boolean; row_of: string | null; single_row: boolean;
  }[]>`
    select p.proname as name,
           coalesce((select json_agg(json_build_object('name', coalesce(a.name, ''), 'type', format_type(a.type, null), 'mode', a.mode) order by a.ord)
                       from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                                   coalesce(p.proargmodes, array_fill('i'::"char", array[p.pronargs]))::text[],
                                   p.proargnames) with ordinality as a(type, mode, name, ord)), '[]'::json) as args,
           p.pronargdefaults::int as defaults,
           p.proretset as returns_set,
           p.prorettype = 'void'::regtype as returns_void,
           t.typtype::text as return_kind,
           (select rc.relname from pg_class rc join pg_namespace rn on rn.oid = rc.relnamespace
             where rc.oid = t.typrelid and rn.nspname = 'public') as return_table,
           p.provolatile = 'v' as volatile,
           -- the table or view whose row the function takes as its only argument (computed fields and relationships)
           (select ac.relname from pg_type at join pg_class ac on ac.oid = at.typrelid join pg_namespace an on an.oid = ac.relnamespace
             where p.pronargs = 1 and at.oid = p.proargtypes[0] and an.nspname = 'public' and ac.relkind in ('r', 'v', 'm', 'f', 'p')) as row_of,
           not p.proretset or p.prorows = 1 as single_row
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join pg_type t on t.oid = p.prorettype
     where n.nspname = 'public' and p.prokind = 'f'
     -- creation order: overloads listed in a PGRST203 message (and tried) in a stable order, not the plan's
     order by p.oid`;

  const tables = new Map<string, TableInfo>();
  for (const row of columns) {
    let table = tables.get(row.table_name);
    if (!table) {
      table = { name: row.table_name, kind: row.kind, columns: new Map(), primaryKey: [] };
      tables.set(row.table_name, table);
    }
    if (row.column_name && row.column_type) table.columns.set(row.column_name, { name: row.column_name, type: row.column_type });
  }
  for (const key of keys) tables.get(key.table_name)?.primaryKey.push(key.column_name);

  const byName = new Map<string, FunctionInfo[]>();
  const computedFields = new Map<string, Map<string, string>>();
  const computed: Extract<Relationship, { kind: 'computed' }>[] = [];
  for (const fn of functions) {
    const info: FunctionInfo = {
      name: fn.name,
      inputs: fn.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v'),
      outputs: fn.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't'),
      defaults: fn.defaults,
      returnsSet: fn.returns_set,
      returnsVoid: fn.returns_void,
      returnTypeKind: fn.return_kind,
      returnTable: fn.return_table ?? undefined,
      volatile: fn.volatile,
    };
    byName.set(fn.name, [...(byName.get(fn.name) ?? []), info]);
    if (fn.row_of && fn.return_table && tables.has(fn.return_table)) {
      computed.push({ kind: 'computed', table: fn.row_of, foreignTable: fn.return_table, function: fn.name, toOne: fn.single_row });
    } else if (fn.row_of && !fn.returns_void) {
      const fields = computedFields.get(fn.row_of) ?? new Map<string, string>();
      fields.set(fn.name, fn.name);
      computedFields.set(fn.row_of, fields);
    }
  }
  const views = new Set([...tables.values()].filter((t) => t.kind === 'v' || t.kind === 'm').map((t) => `public.${t.name}`));
  const primaryKeys = new Map([...tables.values()].map((t) => [`public.${t.name}`, t.primaryKey]));
  for (const dep of keyDeps) {
    const view = `${dep.view_schema}.${dep.view_name}`;
    if (dep.constraint_type === 'p' && !primaryKeys.get(view)?.length) primaryKeys.set(view, dep.column_dependencies.map(([, v]) => v[0]!));
  }
  for (const fk of foreignKeys) {
    const name = `${fk.schema}.${fk.table}`;
    if (!primaryKeys.has(name)) primaryKeys.set(name, []);
  }
  const relationships = buildRelationships(foreignKeys, keyDeps, primaryKeys, views, computed);
  return { tables, functions: byName, relationships, computedFields };
}
