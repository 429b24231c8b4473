import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

const execFileAsync = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const compatSqlPath = fileURLToPath(new URL('./supabase-compat.sql', import.meta.url));
const storageSqlPath = fileURLToPath(new URL('./storage-schema.sql', import.meta.url));
const seedPath = fileURLToPath(new URL('../../supabase/seed.sql', import.meta.url));
const supabaseCli = fileURLToPath(new URL('../../node_modules/supabase/dist/supabase.js', import.meta.url));

/** A database that GoTrue has migrated is a real Supabase database: it needs no bootstrap. */
export async function isSupabaseDatabase(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ supabase: boolean }[]>`
      select to_regclass('auth.schema_migrations') is not null as supabase`;
    return row?.supabase ?? false;
  } finally {
    await sql.end();
  }
}

/** Applies the Supabase compatibility bootstrap (roles, auth, realtime, storage) unless it is a Supabase database. */
export async function applyBootstrap(url: string): Promise<'applied' | 'skipped'> {
  if (await isSupabaseDatabase(url)) return 'skipped';
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(await readFile(compatSqlPath, 'utf8'));
    await sql.unsafe(await readFile(storageSqlPath, 'utf8'));
    return 'applied';
  } finally {
    await sql.end();
  }
}

/**
 * Databases prepared before the stack served Storage have no `storage` schema, and a warm start
 * skips the bootstrap: add it then (not on a Supabase database, which has its own).
 */
export async function ensureStorageSchema(url: string): Promise<'applied' | 'present'> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ present: boolean; supabase: boolean }[]>`
      select to_regclass('storage.objects') is not null as present, to_regclass('auth.schema_migrations') is not null as supabase`;
    if (row?.present || row?.supabase) return 'present';
    await sql.unsafe(await readFile(storageSqlPath, 'utf8'));
    return 'applied';
  } finally {
    await sql.end();
  }
}

/**
 * Applies pending migrations with the pinned Supabase CLI (`supabase migration up --db-url`). `--include-all`:
 * after a `git pull`, a branch's migration can be older than one already applied here; without it the CLI
 * refuses ("Found local migration files to be inserted before the last migration") and `npm start` stops.
 */
export async function applyMigrations(url: string): Promise<string> {
  const { stdout, stderr } = await execFileAsync(
    process.execPath,
    [supabaseCli, 'migration', 'up', '--include-all', '--db-url', withSslDisabled(url), '--yes'],
    { cwd: repoRoot, env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' } },
  ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`supabase migration up failed: ${error.stderr || error.stdout || error.message}`);
  });
  return `${stdout}${stderr}`;
}

export async function applySeed(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(await readFile(seedPath, 'utf8'));
  } finally {
    await sql.end();
  }
}

/** Bootstrap (when needed), migrations, seed: what `supabase db reset` would leave. */
export async function prepareDatabase(url: string, options: { seed?: boolean } = {}): Promise<void> {
  await applyBootstrap(url);
  await applyMigrations(url);
  if (options.seed ?? true) await applySeed(url);
}

export function withSslDisabled(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('sslmode')) parsed.searchParams.set('sslmode', 'disable');
  return parsed.toString();
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
