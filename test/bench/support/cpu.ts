// CPU seconds of process trees from /proc (Linux), so a wall-clock figure on a shared, noisy box can be
// read as "CPU per unit of work" too: a connector with its forked children, embedded Postgres (postmaster
// plus its backends, including the ones that already exited and were reaped).
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const TICKS_PER_SECOND = 100;

interface Stat { ppid: number; utime: number; stime: number; cutime: number; cstime: number }

async function stat(pid: number): Promise<Stat | null> {
  try {
    const raw = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) };
  } catch {
    return null; // exited
  }
}

async function childrenOf(parent: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = await stat(pid);
    if (s?.ppid === parent) out.push(pid);
  }
  return out;
}

/** CPU ms (user + system) of one process, without its children. */
export async function cpuMs(pid: number): Promise<number> {
  const s = await stat(pid);
  if (!s) throw new Error(`process ${pid} has exited`);
  return ((s.utime + s.stime) * 1000) / TICKS_PER_SECOND;
}

/** CPU ms (user + system) of a process, its live descendants and its reaped children. */
export async function treeCpuMs(pid: number): Promise<number> {
  const s = await stat(pid);
  if (!s) return 0;
  const ticks = s.utime + s.stime + s.cutime + s.cstime;
  let ms = 0;
  for (const child of await childrenOf(pid)) ms += await treeCpuMs(child);
  return (ticks * 1000) / TICKS_PER_SECOND + ms;
}

/** The postmaster of an embedded Postgres data directory (first line of postmaster.pid). */
export async function postmasterPid(dataDir: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** "1.23 1.10 0.95" */
export const loadAverage = () => loadavg().map((v) => v.toFixed(2)).join(' ');
