// Child processes for benches and fault runs. Node is started directly with `--import tsx` (not the
// `tsx` CLI, which forks a second node: a SIGKILL to the wrapper would leave the real process running,
// and its RSS would be the wrapper's).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface NodeChild {
  child: ChildProcess;
  pid: number;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
  /** the last lines of stderr, for error messages */
  tail(): string;
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnNodeOptions {
  env?: Record<string, string | undefined>;
  nodeArgs?: string[];
  args?: string[];
  /** forward each stdout line here */
  onLine?: (line: string) => void;
  /** keep stderr quiet (still kept in tail()) */
  quiet?: boolean;
}

// Every child runs in its own process group (what it forks goes with it); whatever is still running when
// this process exits is SIGKILLed with its group (reaper.ts covers the deaths no handler sees).
const live = new Set<ChildProcess>();
const signalGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone
  }
};
process.on('exit', () => {
  for (const child of live) signalGroup(child, 'SIGKILL');
});

export function spawnNode(script: string, options: SpawnNodeOptions = {}): NodeChild {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    lines.push(l);
    if (lines.length > 40) lines.shift();
    if (!options.quiet) process.stderr.write(`  [${script.split('/').pop()}] ${l}\n`);
  });
  if (options.onLine) createInterface({ input: child.stdout! }).on('line', options.onLine);
  else child.stdout!.resume();
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => {
    signalGroup(child, 'SIGKILL'); // what it forked and left behind
    live.delete(child);
    resolve(code ?? signal ?? -1);
  }));
  return {
    child,
    pid: child.pid!,
    exited,
    tail: () => lines.join('\n'),
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) signalGroup(child, signal);
    },
  };
}

/** Resolves with the first stdout line parsed as JSON (the child's "ready" line). */
export function spawnReady<T>(script: string, options: Omit<SpawnNodeOptions, 'onLine'> & { timeoutMs?: number } = {}): Promise<{ proc: NodeChild; ready: T }> {
  return new Promise((resolve, reject) => {
    let done = false;
    const proc = spawnNode(script, {
      ...options,
      onLine: (line) => {
        if (done) return;
        try {
          const ready = JSON.parse(line) as T;
          done = true;
          clearTimeout(timer);
          resolve({ proc, ready });
        } catch {
          // not the ready line
        }
      },
    });
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not become ready: ${proc.tail()}`));
    }, options.timeoutMs ?? 60_000);
    void proc.exited.then((code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready: ${proc.tail()}`));
    });
  });
}

/** Stops a child: SIGTERM, then SIGKILL after graceMs. */
export async function stopChild(proc: NodeChild, graceMs = 10_000): Promise<void> {
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(t);
}

/** Resident set size of a process in MB (from /proc). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
