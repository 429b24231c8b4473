// As root, a clone under a folder only root can enter (/root, `mktemp -d`: 0700): Postgres runs as the
// `postgres` user, which could not reach the binaries in node_modules (initdb EACCES) nor such a data folder.
// The binaries are copied where it can reach them; an unreachable data folder stops with one line.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { packagedBinaries, startEmbeddedPostgres } from './embedded.ts';
import { PostgresUnreachableError } from './postgres-user.ts';

const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.getuid?.() !== 0)('embedded Postgres as root under a 0700 folder', () => {
  it('runs binaries it cannot reach from a copy the postgres user can reach', async () => {
    const shut = await mkdtemp(join(tmpdir(), 'wl-0700-clone-')); // mode 0700, owned by root
    cleanup.push(shut);
    const packaged = await packagedBinaries();
    const native = dirname(dirname(packaged.postgres));
    await cp(native, join(shut, 'native'), { recursive: true, verbatimSymlinks: true });
    const binaries = { initdb: join(shut, 'native', 'bin', 'initdb'), postgres: join(shut, 'native', 'bin', 'postgres') };
    const dataDir = await mkdtemp(join(tmpdir(), 'wl-0700-data-')); // the data folder itself is handed to postgres
    const pg = await startEmbeddedPostgres({ dataDir, binaries });
    try {
      const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
      const [row] = await sql`select current_setting('data_directory') as dir`;
      await sql.end();
      expect(row!.dir).toBe(dataDir);
      const exe = (await import('node:fs/promises')).readlink(`/proc/${pg.pid}/exe`);
      const copy = dirname(dirname(await exe));
      cleanup.push(copy);
      expect(copy).toMatch(/^\/(var\/)?tmp\/whatsapp-lite-postgres-[0-9a-f]{12}$/);
    } finally {
      await pg.stop();
    }
  });

  it('a data folder under a 0700 folder stops with one line that says what to do', async () => {
    const shut = await mkdtemp(join(tmpdir(), 'wl-0700-home-'));
    cleanup.push(shut);
    const dataDir = join(shut, 'data', 'postgres');
    const started = startEmbeddedPostgres({ dataDir });
    await expect(started).rejects.toThrow(PostgresUnreachableError);
    const message = ((await started.catch((e: unknown) => e)) as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(`cannot reach its data folder ${dataDir}`);
    expect(message).toContain(`chmod o+x ${shut}`);
    expect(message).toContain('STACK_DATA_DIR');
  });
});
