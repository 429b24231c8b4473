// The processes of this machine by parentage (/proc), for tests that prove a run leaves nothing behind.
// A process is identified by pid and start time (a pid can be reused once it is gone).
import { readFile, readdir } from 'node:fs/promises';

export interface Proc { pid: number; ppid: number; start: string; cmd: string }

async function readProc(pid: number): Promise<Proc | null> {
  const statLine = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!statLine) return null;
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  if (!fields[0] || fields[0] === 'Z' || fields[0] === 'X') return null;
  const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim();
  return { pid, ppid: Number(fields[1]), start: fields[19]!, cmd };
}

export async function allProcesses(): Promise<Proc[]> {
  const entries = (await readdir('/proc')).filter((e) => /^[0-9]+$/.test(e));
  return (await Promise.all(entries.map((e) => readProc(Number(e))))).filter((p): p is Proc => p !== null);
}

/** Every living descendant of `of` (children, grandchildren …). */
export async function descendants(of: number): Promise<Proc[]> {
  const all = await allProcesses();
  const found: Proc[] = [];
  const queue = [of];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of all) if (p.ppid === parent) { found.push(p); queue.push(p.pid); }
  }
  return found;
}

/** True while this very process (same pid and start time) runs and is not a zombie. */
export async function alive(p: Pick<Proc, 'pid' | 'start'> | number): Promise<boolean> {
  if (typeof p === 'number') return (await readProc(p)) !== null;
  return (await readProc(p.pid))?.start === p.start;
}

/** Records every descendant of `root` seen while it runs (every `everyMs`), until stop(). */
export function watchTree(root: number, everyMs = 100): { seen: Map<string, Proc>; stop(): Promise<void> } {
  const seen = new Map<string, Proc>();
  let running = true;
  const loop = (async () => {
    while (running) {
      // one failed sample (a /proc race) must not end the watch: a rejected loop stops recording silently
      for (const p of await descendants(root).catch(() => [])) seen.set(`${p.pid}/${p.start}`, p);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { seen, async stop() { running = false; await loop; } };
}
