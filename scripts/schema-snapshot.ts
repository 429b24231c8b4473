// Prints the schema the migrations leave, sorted, for diffing two trees (folding migrations must not change it):
//   npx tsx scripts/schema-snapshot.ts [repo]   repo: a checkout whose supabase/migrations to apply (default: this one)
//   e.g. diff <(npx tsx scripts/schema-snapshot.ts /work/main) <(npx tsx scripts/schema-snapshot.ts)
// A throwaway embedded Postgres gets the bootstrap and the migrations (no seed); the snapshot covers every schema
// but the catalogs and the migration history: functions (definition, owner, ACL, config), tables and columns,
// constraints, indexes, triggers, policies, grants, views, types, sequences, publications and comments.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../stack/db/embedded.ts';
import { applyBootstrap, repoRoot, withSslDisabled } from '../stack/db/prepare.ts';
import { runMain } from './run-main.ts';

const execFileAsync = promisify(execFile);
const SKIP = `n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations')
  and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'`;

const QUERIES: Record<string, string> = {
  functions: `select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
      || ' owner=' || pg_get_userbyid(p.proowner) || ' acl=' || coalesce(p.proacl::text, 'default')
      || E'\n' || pg_get_functiondef(p.oid) as line
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where ${SKIP} and p.prokind in ('f', 'p', 'w')
      and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`,
  aggregates: `select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as line
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${SKIP} and p.prokind = 'a'`,
  relations: `select n.nspname || '.' || c.relname || ' kind=' || c.relkind::text || ' owner=' || pg_get_userbyid(c.relowner)
      || ' acl=' || coalesce(c.relacl::text, 'default') || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity
      || ' replident=' || c.relreplident::text || ' options=' || coalesce(c.reloptions::text, '') as line
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${SKIP} and c.relkind in ('r', 'v', 'm', 'S', 'p', 'f')`,
  columns: `select n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
      || case when a.attnotnull then ' not null' else '' end
      || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
      || case when a.attidentity <> '' then ' identity=' || a.attidentity::text else '' end
      || case when a.attgenerated <> '' then ' generated' else '' end
      || ' acl=' || coalesce(a.attacl::text, 'default') || ' pos=' || a.attnum as line
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where ${SKIP} and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'v', 'm', 'p', 'f')`,
  constraints: `select n.nspname || '.' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) as line
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace where ${SKIP}`,
  domain_constraints: `select n.nspname || '.' || t.typname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) as line
    from pg_constraint k join pg_type t on t.oid = k.contypid join pg_namespace n on n.oid = t.typnamespace where ${SKIP}`,
  indexes: `select schemaname || ' ' || indexdef as line from pg_indexes
    where schemaname not in ('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations')`,
  triggers: `select pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text as line
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where ${SKIP} and not t.tgisinternal`,
  policies: `select schemaname || '.' || tablename || ' ' || policyname || ' ' || permissive || ' ' || roles::text || ' '
      || cmd || ' using=' || coalesce(qual, '') || ' check=' || coalesce(with_check, '') as line from pg_policies`,
  views: `select n.nspname || '.' || c.relname || E'\n' || pg_get_viewdef(c.oid) as line
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${SKIP} and c.relkind in ('v', 'm')`,
  types: `select n.nspname || '.' || t.typname || ' type=' || t.typtype::text || ' owner=' || pg_get_userbyid(t.typowner)
      || ' acl=' || coalesce(t.typacl::text, 'default')
      || coalesce(' labels=' || (select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid), '') as line
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where ${SKIP} and t.typtype in ('e', 'd', 'c') and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c')`,
  schemas: `select n.nspname || ' owner=' || pg_get_userbyid(n.nspowner) || ' acl=' || coalesce(n.nspacl::text, 'default') as line
    from pg_namespace n where ${SKIP}`,
  default_acls: `select pg_get_userbyid(d.defaclrole) || ' ' || coalesce(n.nspname, '*') || ' ' || d.defaclobjtype::text || ' '
      || d.defaclacl::text as line from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace`,
  publications: `select p.pubname || ' ' || coalesce(pt.schemaname || '.' || pt.tablename, '') || ' '
      || coalesce(pt.attnames::text, '') || ' ' || coalesce(pt.rowfilter, '') as line
    from pg_publication p left join pg_publication_tables pt on pt.pubname = p.pubname`,
  comments: `select d.classoid::regclass::text || ' ' || coalesce(pg_describe_object(d.classoid, d.objoid, d.objsubid), '?')
      || ' ' || d.description as line from pg_description d
    where d.classoid in ('pg_proc'::regclass, 'pg_class'::regclass, 'pg_type'::regclass, 'pg_namespace'::regclass,
      'pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass)
      and pg_describe_object(d.classoid, d.objoid, d.objsubid) not like '%pg_catalog%'`,
  extensions: `select extname || ' ' || extversion || ' ' || extnamespace::regnamespace::text as line from pg_extension`,
  cron_or_rows: `select 'migration-count ' || count(*) as line from supabase_migrations.schema_migrations`,
};

export async function snapshot(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const sections: string[] = [];
    for (const [name, query] of Object.entries(QUERIES)) {
      const rows = await sql.unsafe<{ line: string }[]>(query);
      const lines = rows.map((row) => row.line).sort();
      sections.push(`== ${name} (${lines.length})\n${lines.join('\n')}`);
    }
    return `${sections.join('\n\n')}\n`;
  } finally {
    await sql.end();
  }
}

async function main(): Promise<void> {
  const repo = resolve(process.argv[2] ?? repoRoot);
  const server = await startEmbeddedPostgres({ dataDir: await mkdtemp(join(tmpdir(), 'wl-snapshot-')) });
  try {
    await applyBootstrap(server.url);
    const cli = join(repoRoot, 'node_modules/supabase/dist/supabase.js');
    await execFileAsync(process.execPath,
      [cli, 'migration', 'up', '--include-all', '--db-url', withSslDisabled(server.url), '--yes'],
      { cwd: repo, env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' } });
    process.stdout.write(await snapshot(server.url));
  } finally {
    await server.stop();
  }
}

runMain(import.meta.url, main);
