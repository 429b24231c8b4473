// Memory: connector RSS with 0, 100, 500 and 1,000 idle connected sessions (bare Postgres, sweeps only:
// no Realtime needed for idle sessions). Cold start is its own figure (cold-start.ts).
// The connector runs with --expose-gc and a bench preload (support/gc-preload.mjs) so each point is
// taken after a full GC (SIGUSR2), as the floor doc does; RSS from /proc.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure, ResultRow } from '../harness.ts';
import { sleep, waitUntil } from '../harness.ts';
import { countConnected, makeWanted, seedLinkedSessions, startBenchPostgres, startConnectorProcess, stopConnector, type ConnectorProcess } from '../support/environment.ts';
import { rssMb } from '../support/processes.ts';
import { phones, SimHost } from '../support/sim-client.ts';

const preload = fileURLToPath(new URL('../support/gc-preload.mjs', import.meta.url));

/**
 * After idleMs, three samples 2 s apart (each after a full GC); the smallest RSS is kept: RSS right after
 * a GC still holds pages V8 has not handed back yet, which made single samples swing by ~50 MB.
 */
async function measure(proc: ConnectorProcess, memFile: string, idleMs: number): Promise<{ rss: number; heapUsed: number; external: number }> {
  await sleep(idleMs);
  const samples: { rss: number; heapUsed: number; external: number }[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(2000);
    await rm(memFile, { force: true });
    process.kill(proc.pid, 'SIGUSR2');
    const mem = await waitUntil(async () => readFile(memFile, 'utf8').then((t) => JSON.parse(t) as { heapUsed: number; external: number }, () => undefined), 60_000, 'memory report'); // a full GC of a few hundred MB on a loaded 2-core box takes seconds
    samples.push({ rss: await rssMb(proc.pid), heapUsed: mem.heapUsed / 2 ** 20, external: mem.external / 2 ** 20 });
  }
  return samples.reduce((min, s) => (s.rss < min.rss ? s : min));
}

export const memory: Figure = {
  name: 'memory',
  async run(ctx) {
    // BENCH_MEMORY_STEPS=0,500,2000,4000 for a larger run (four steps: the slope compares the last two intervals)
    const steps = process.env.BENCH_MEMORY_STEPS ? process.env.BENCH_MEMORY_STEPS.split(',').map(Number)
      : ctx.quick ? [0, 50, 150, 300] : [0, 100, 500, 1000];
    if (steps.length !== 4 || steps.some((n, i) => !Number.isInteger(n) || (i > 0 && n <= steps[i - 1]!))) {
      throw new Error(`BENCH_MEMORY_STEPS: four increasing session counts, got ${process.env.BENCH_MEMORY_STEPS}`);
    }
    const total = steps[steps.length - 1]!;
    const idleMs = ctx.quick ? 4000 : 8000;
    const sim = await SimHost.start();
    const db = await startBenchPostgres();
    const memFile = join(tmpdir(), `wl-bench-mem-${randomBytes(4).toString('hex')}.json`);
    const nodeArgs = ['--expose-gc', '--import', preload];
    const env = { BENCH_MEM_FILE: memFile, SWEEP_INTERVAL_MS: '250', RESUME_CONCURRENCY: '10' };
    let connector: ConnectorProcess | undefined;
    try {
      const mine = phones(720, total);
      const contacts = phones(721, total);
      ctx.log(`memory: provisioning and seeding ${total} linked sessions`);
      const seeded = await seedLinkedSessions(db, await sim.provision(mine), contacts, { wanted: false });
      connector = await startConnectorProcess({ db, sim, env, nodeArgs });
      const points: { n: number; rss: number; heapUsed: number; external: number; openSeconds: number }[] = [];
      let prev = 0;
      for (const n of steps) {
        const t = Date.now();
        if (n > prev) {
          await makeWanted(db, seeded.slice(prev, n));
          await waitUntil(async () => (await countConnected(db, seeded.slice(0, n).map((s) => s.sessionId))) === n, 600_000, `${n} sessions connected`, 500);
        }
        const openSeconds = (Date.now() - t) / 1000;
        const m = await measure(connector, memFile, idleMs);
        points.push({ n, ...m, openSeconds });
        ctx.log(`memory: ${n} sessions: RSS ${m.rss.toFixed(1)} MB, heap ${m.heapUsed.toFixed(1)} MB (opened in ${openSeconds.toFixed(1)} s)`);
        prev = n;
      }
      const per = (a: number, b: number, k: 'rss' | 'heapUsed') => (points[b]![k] - points[a]![k]) / (points[b]!.n - points[a]!.n);
      const slopeLow = per(1, 2, 'rss');
      const slopeHigh = per(2, 3, 'rss');
      const perSession = per(0, 3, 'rss');
      const [s1, s2, s3] = [steps[1], steps[2], steps[3]];
      const rows: ResultRow[] = [
        ...points.map((p) => ({ figure: `memory: RSS with ${p.n} idle sessions`, value: p.rss, unit: 'MB', goal: null, note: `heapUsed ${p.heapUsed.toFixed(1)} MB` })),
        { figure: `memory: RSS per session ${steps[0]}->${s3}`, value: perSession, unit: 'MB', goal: { op: '<=', value: 0.25 }, // issue 16
          note: `heap per session ${per(0, 3, 'heapUsed').toFixed(3)} MB; floor (in-memory keys, 25-250) 0.57 MB RSS per session` },
        { figure: `memory: slope ${s2}->${s3} / slope ${s1}->${s2}`, value: slopeHigh / slopeLow, unit: 'x', goal: { op: '<=', value: 1.2 },
          note: `RSS slopes ${slopeLow.toFixed(3)} and ${slopeHigh.toFixed(3)} MB/session; heap slopes ${per(1, 2, 'heapUsed').toFixed(3)} and ${per(2, 3, 'heapUsed').toFixed(3)}` },
      ];
      return { rows, details: { points } };
    } finally {
      if (connector) await stopConnector(connector);
      await db.stop();
      await sim.stop();
      await rm(memFile, { force: true });
    }
  },
};
