// What PostgREST calls the schema cache: the tables, columns and functions of the exposed schema
// (`public`), read from pg_catalog. Every identifier in a request is checked against it before any
// SQL is built. Reloaded when older than a moment and whenever a lookup misses (new migrations).
import type postgres from 'postgres';

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

export interface ForeignKey {
  name: string;
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

export interface SchemaSnapshot {
  tables: Map<string, TableInfo>;
  functions: Map<string, FunctionInfo[]>;
  foreignKeys: ForeignKey[];
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
  const foreignKeys = await sql<ForeignKey[]>`
    select k.conname as name, c.relname as table, r.relname as "refTable",
           array(select a.attname::text from unnest(k.conkey) with ordinality u(n, o)
                   join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.o) as columns,
           array(select a.attname::text from unnest(k.confkey) with ordinality u(n, o)
                   join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.o) as "refColumns"
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_class r on r.oid = k.confrelid join pg_namespace rn on rn.oid = r.relnamespace
     where k.contype = 'f' and n.nspname = 'public' and rn.nspname = 'public'`;
  const functions = await sql<{
    name: string; args: FunctionArg[]; defaults: number; returns_set: boolean; returns_void: boolean;
    return_kind: string; return_table: string | null; volatile: boolean;
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
           p.provolatile = 'v' as volatile
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join pg_type t on t.oid = p.prorettype
     where n.nspname = 'public' and p.prokind = 'f'`;

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
  }
  return { tables, functions: byName, foreignKeys: [...foreignKeys] };
}
