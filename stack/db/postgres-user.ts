// As root, Postgres runs as the `postgres` OS user, which must reach every folder on the way to its
// binaries and its data. A clone under a folder only root can enter (/root, `mktemp -d`: mode 0700)
// hides node_modules from it: the binaries are then copied once to a folder it can reach. Its data
// folder cannot be moved behind the user's back: when it cannot be reached, one line says what to do.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface PostgresUser {
  uid: number;
  gid: number;
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** Thrown (one line) when the `postgres` user cannot reach a folder it needs. */
export class PostgresUnreachableError extends Error {
  override name = 'PostgresUnreachableError';
}

function canRun(binary: string, user: PostgresUser): boolean {
  try {
    execFileSync(binary, ['--version'], { ...user, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function canWrite(dir: string, user: PostgresUser): boolean {
  try {
    execFileSync('/bin/sh', ['-c', 'test -w "$1" && test -x "$1"', 'sh', dir], { ...user, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The first folder on the way to `path` the user cannot pass (no x for it), for the message. */
export function blockingFolder(path: string, user: PostgresUser): string | undefined {
  const parts: string[] = [];
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    parts.unshift(dir);
    if (dir === dirname(dir)) break;
  }
  for (const dir of parts) {
    const s = statSync(dir, { throwIfNoEntry: false });
    if (!s) return undefined;
    const x = s.uid === user.uid ? s.mode & 0o100 : s.gid === user.gid ? s.mode & 0o010 : s.mode & 0o001;
    if (!x) return dir;
  }
  return undefined;
}

/** The binaries as they are when the user can run them, else a copy of their install under /var/tmp. */
export async function reachablePostgresBinaries(bin: PostgresBinaries, user: PostgresUser | undefined): Promise<PostgresBinaries> {
  if (!user || canRun(bin.postgres, user)) return bin;
  const native = dirname(dirname(bin.postgres)); // <pkg>/native: bin/, lib/, share/
  const base = existsSync('/var/tmp') ? '/var/tmp' : '/tmp';
  const tag = createHash('sha256').update(native).update(String((await stat(bin.postgres)).mtimeMs)).digest('hex').slice(0, 12);
  const target = join(base, `whatsapp-lite-postgres-${tag}`);
  const copied = { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
  if (!existsSync(copied.postgres)) {
    // Copy next to the target, then rename: parallel starts (test workers) never see half a copy.
    const partial = `${target}.${process.pid}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, target).catch(async (error: NodeJS.ErrnoException) => {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(copied.postgres)) throw error;
    });
  }
  if (!canRun(copied.postgres, user)) {
    throw new PostgresUnreachableError(
      `Postgres runs as the "postgres" user, which can run neither ${bin.postgres} nor its copy ${copied.postgres}: ` +
        `clone the repository under a folder that user can enter (e.g. /srv or /opt), or set DATABASE_URL to a running Postgres.`,
    );
  }
  return copied;
}

/** Throws one line that says what to do when the user cannot write `dir` (its data folder). */
export function assertReachableByPostgres(dir: string, user: PostgresUser): void {
  if (canWrite(dir, user)) return;
  const blocker = blockingFolder(dir, user);
  throw new PostgresUnreachableError(
    `Postgres runs as the "postgres" user, which cannot reach its data folder ${dir}` +
      (blocker ? ` (${blocker} lets only its owner in)` : '') +
      `: set STACK_DATA_DIR to a folder it can reach (e.g. /var/tmp/whatsapp-lite)` +
      (blocker ? `, or let it pass with \`chmod o+x ${blocker}\`` : '') + '.',
  );
}
