// Prints what a fold of migrations must leave unchanged, for a diff of two checkouts: each function's
// definition and ACL, each trigger's definition, each column (type, nullability, default) in public, from a
// throwaway embedded Postgres with this checkout's bootstrap + migrations:
//   npx tsx scripts/schema-snapshot.ts > before.txt   (then fold, run again, diff)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../stack/db/embedded.ts';
import { prepareDatabase } from '../stack/db/prepare.ts';

const server = await startEmbeddedPostgres({ dataDir: await mkdtemp(join(tmpdir(), 'wl-schema-')) });
try {
  await prepareDatabase(server.url, { seed: false });
  const sql = postgres(server.url, { max: 1, onnotice: () => {} });
  const rows = await sql.unsafe<{ line: string }[]>(`
    select 'function ' || p.oid::regprocedure || ' acl=' || coalesce(p.proacl::text, 'default') || E'\\n' || pg_get_functiondef(p.oid) as line
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.prokind in ('f', 'p')
    union all
    select 'trigger ' || pg_get_triggerdef(t.oid) from pg_trigger t join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and not t.tgisinternal
    union all
    select 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else '' end
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') || ' acl=' || coalesce(a.attacl::text, 'default')
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where n.nspname = 'public' and c.relkind in ('r', 'v', 'p') and a.attnum > 0 and not a.attisdropped
    order by 1`);
  for (const r of rows) console.log(r.line);
  await sql.end();
} finally {
  await server.stop();
}
process.exit(0);
