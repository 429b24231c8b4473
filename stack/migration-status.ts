// Whether a database already has every migration in supabase/migrations, so `npm start` on an existing
// .data/ skips the Supabase CLI (the slow part of a warm start).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { repoRoot } from './db/prepare.ts';

export async function hasAllMigrations(databaseUrl: string): Promise<boolean> {
  const files = await readdir(join(repoRoot, 'supabase', 'migrations')).catch(() => [] as string[]);
  const wanted = files.map((f) => /^([0-9]+)_.*\.sql$/.exec(f)?.[1]).filter((v): v is string => Boolean(v));
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [table] = await sql<{ exists: boolean }[]>`select to_regclass('supabase_migrations.schema_migrations') is not null as exists`;
    if (!table?.exists) return false;
    const rows = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`;
    const applied = new Set(rows.map((r) => r.version));
    return wanted.every((version) => applied.has(version));
  } finally {
    await sql.end();
  }
}
