// Nothing a fault run or a bench starts may outlive it (issue 16 item 2: a sim-host was found running 11
// minutes after a green `npm test`). Three layers, because each covers a death the others cannot:
// 1. `guardRun()` in the runner: SIGINT/SIGTERM become an orderly exit (the default action skips every
//    'exit' handler), and a runner whose own parent died (the `tsx` wrapper SIGKILLed, `npm test` gone)
//    stops itself instead of running on as an orphan.
// 2. children of spawnNode run in their own process group, and the runner's 'exit' handler SIGKILLs
//    every group still there (a connector's forked workers, a sim-host that ignored SIGTERM).
// 3. a reaper process (this file run as a script), outside the runner's process group, with a pipe from
//    the runner on its stdin: every 200 ms it records every descendant of the runner (pid + start time);
//    when the pipe closes (the runner exited, crashed or was SIGKILLed) it stops every recorded process
//    still alive and every process carrying the run's tag in its environment (Postgres and Deno are not
//    node children the runner can guard: they were orphaned by a SIGKILLed runner).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export const RUN_TAG_VAR = 'WL_RUN_TAG';

interface ProcInfo { ppid: number; start: string }

function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return { ppid: Number(fields[1]), start: fields[19]! };
  } catch {
    return null;
  }
}

function pids(): number[] {
  return readdirSync('/proc').filter((e) => /^[0-9]+$/.test(e)).map(Number);
}

function carriesTag(pid: number, tag: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${RUN_TAG_VAR}=${tag}`);
  } catch {
    return false;
  }
}

function runReaper(parent: number, tag: string): void {
  const known = new Map<number, string>();
  const record = () => {
    const children = new Map<number, number[]>();
    for (const pid of pids()) {
      const info = procInfo(pid);
      if (!info) continue;
      const list = children.get(info.ppid) ?? [];
      list.push(pid);
      children.set(info.ppid, list);
    }
    const queue = [parent];
    while (queue.length) {
      for (const pid of children.get(queue.shift()!) ?? []) {
        if (pid === process.pid) continue;
        const info = procInfo(pid);
        if (info && !known.has(pid)) known.set(pid, info.start);
        queue.push(pid);
      }
    }
  };
  const leftovers = () => {
    const out = new Set<number>();
    for (const [pid, start] of known) if (procInfo(pid)?.start === start) out.add(pid);
    for (const pid of pids()) if (pid !== process.pid && carriesTag(pid, tag) && procInfo(pid)) out.add(pid);
    return [...out];
  };
  let reaping = false;
  const reap = () => {
    if (reaping) return;
    reaping = true;
    clearInterval(timer);
    const first = leftovers();
    if (first.length === 0) process.exit(0);
    const signal = (s: NodeJS.Signals) => {
      for (const pid of leftovers()) {
        try {
          process.kill(pid, s);
        } catch {
          // gone meanwhile
        }
      }
    };
    signal('SIGTERM');
    const started = Date.now();
    const poll = setInterval(() => {
      if (leftovers().length === 0) process.exit(0);
      if (Date.now() - started > 3000) signal('SIGKILL');
      if (Date.now() - started > 10_000) process.exit(1);
    }, 100);
    poll.ref();
  };
  record();
  const timer = setInterval(() => (procInfo(parent) ? record() : reap()), 200);
  process.stdin.on('end', reap);
  process.stdin.on('close', reap);
  process.stdin.on('error', reap);
  process.stdin.resume();
  process.on('SIGINT', () => {}); // a terminal's Ctrl-C is for the run: the reaper stays to clean up after it
  process.stdout.write('ready\n');
}

let installed = false;

/**
 * Makes this process a guarded run: starts its reaper, tags the environment its children inherit, turns
 * SIGINT/SIGTERM into an orderly exit and stops the run when its own parent dies. Call before starting
 * anything.
 */
export async function guardRun(): Promise<void> {
  if (installed) return;
  installed = true;
  const tag = randomBytes(8).toString('hex'); // never an outer run's: its reaper would take ours
  process.env[RUN_TAG_VAR] = tag;
  const reaper = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'reap', String(process.pid), tag], {
    detached: true,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    reaper.once('error', reject);
    reaper.once('exit', (code) => reject(new Error(`the reaper exited (${code}) before it was ready`)));
    reaper.stdout!.once('data', () => resolve());
  });
  reaper.removeAllListeners('exit');
  reaper.stdout!.destroy();
  reaper.unref();
  (reaper.stdin as unknown as Socket).unref();

  let exiting = false;
  const orderly = (code: number) => () => {
    if (exiting) process.exit(code); // a second Ctrl-C: now
    exiting = true;
    process.exitCode = code;
    // the runner's own finally blocks cannot run from here; 'exit' handlers (groups, Postgres) and the reaper do the rest
    process.exit(code);
  };
  process.on('SIGINT', orderly(130));
  process.on('SIGTERM', orderly(143));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) orderly(129)();
  }, 250).unref();
}

if (process.argv[2] === 'reap' && process.argv[1] === fileURLToPath(import.meta.url)) {
  runReaper(Number(process.argv[3]), process.argv[4]!);
}
