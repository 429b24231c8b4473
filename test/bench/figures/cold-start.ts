// Cold start: N linked sessions (default 1,000) that a connector held are resumed by a freshly started
// connector process after a graceful stop: process start -> every session `connected` again under the new
// connector (a real login over the simulator with its stored credentials), without any QR. Measured with
// one process and with CONNECTOR_PROCESSES=2, with the connector's default settings.
// Reported with the CPU it took (connector tree, simulator, Postgres; per login), and the load average,
// because wall-clock time on a shared 2-core box is noisy.
// Knobs for iterating (the reported figure is N=1000 with defaults):
//   BENCH_COLD_START_N=200  BENCH_COLD_START_PROCESSES=1,2  BENCH_COLD_START_ENV=RESUME_CONCURRENCY=20,LOG_LEVEL=info
//   BENCH_COLD_START_CPU_PROF=<dir>  (node --cpu-prof on the measured connector processes)
import type { Figure, ResultRow } from '../harness.ts';
import { sleep } from '../harness.ts';
import { postmasterPid, loadAverage, treeCpuMs } from '../support/cpu.ts';
import { seedLinkedSessions, startBenchPostgres, startConnectorProcess, stopConnector, type ConnectorProcess, type Database } from '../support/environment.ts';
import { phones, SimHost } from '../support/sim-client.ts';
import { dbCounters, trackFunctionCalls } from '../support/db-counters.ts';

interface Restart {
  processes: number; ms: number; connected: number; sawQr: number;
  /** seconds from process start until 10/50/90/100 % were connected */
  progress: Record<string, number>;
  /** health port up: seconds after the spawn, and the connector tree's CPU ms by then (process start) */
  ready: { s: number; cpuMs: number };
  /** sessions per lease owner at the end (how CONNECTOR_PROCESSES split them) */
  split: Record<string, number>;
  cpu: { connectorMs: number; simMs: number; postgresMs: number | null };
  /** per login: committed transactions and calls of each SQL function (pg_stat_user_functions) */
  db: { transactions: number; calls: Record<string, number> };
  load: { before: string; after: string };
}

function extraEnv(): Record<string, string> {
  const raw = process.env.BENCH_COLD_START_ENV;
  if (!raw) return {};
  return Object.fromEntries(raw.split(',').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    if (i < 1) throw new Error(`BENCH_COLD_START_ENV: "${kv}" is not NAME=value`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

async function pgCpuMs(db: Database): Promise<number | null> {
  const pid = db.dataDir ? await postmasterPid(db.dataDir) : null;
  return pid ? treeCpuMs(pid) : null;
}

async function restart(db: Database, sim: SimHost, ids: string[], processes: number, env: Record<string, string>, nodeArgs: string[]): Promise<{ result: Restart; connector: ConnectorProcess }> {
  const total = ids.length;
  const t0 = (await db.sql<{ t: Date }[]>`select now() as t`)[0]!.t;
  const loadBefore = loadAverage();
  const simBefore = (await sim.stats()).cpuMs;
  const pgBefore = await pgCpuMs(db);
  const countersBefore = await dbCounters(db);
  const started = Date.now();
  const connector = await startConnectorProcess({ db, sim, env: { ...env, CONNECTOR_PROCESSES: String(processes) }, nodeArgs });
  // the health port answers once the (first) process has loaded everything and started sweeping
  const ready = { s: (Date.now() - started) / 1000, cpuMs: await treeCpuMs(connector.pid) };
  const owner = `${connector.id}%`;
  let sawQr = 0;
  const count = async () => {
    const [r] = await db.sql<{ connected: number; qr: number }[]>`
      select count(*) filter (where status = 'connected' and lease_owner like ${owner} and connected_at >= ${t0})::int as connected,
             count(*) filter (where status = 'qr' or qr is not null)::int as qr
        from whatsapp_sessions where id = any(${ids}::uuid[])`;
    sawQr = Math.max(sawQr, r!.qr);
    return r!.connected;
  };
  const progress: Record<string, number> = {};
  const marks = [10, 50, 90, 100];
  let connected = 0;
  const deadline = started + 600_000;
  while (Date.now() < deadline) {
    connected = await count();
    for (const m of marks) if (progress[`${m}%`] === undefined && connected * 100 >= total * m) progress[`${m}%`] = (Date.now() - started) / 1000;
    if (connected === total) break;
    await sleep(100);
  }
  const ms = Date.now() - started;
  const connectorMs = await treeCpuMs(connector.pid);
  const simMs = (await sim.stats()).cpuMs - simBefore;
  const pgAfter = await pgCpuMs(db);
  const countersAfter = await dbCounters(db);
  const owners = await db.sql<{ owner: string; n: number }[]>`
    select lease_owner as owner, count(*)::int as n from whatsapp_sessions where id = any(${ids}::uuid[]) group by 1 order by 1`;
  const perLogin = (n: number) => Math.round((n / Math.max(1, connected)) * 100) / 100;
  const calls = Object.fromEntries([...countersAfter.calls].map(([name, n]) => [name, perLogin(n - (countersBefore.calls.get(name) ?? 0))]).filter(([, n]) => Number(n) > 0));
  return {
    connector,
    result: {
      processes, ms, connected, sawQr, progress, ready, split: Object.fromEntries(owners.map((o) => [o.owner ?? 'none', o.n])),
      cpu: { connectorMs, simMs, postgresMs: pgBefore !== null && pgAfter !== null ? pgAfter - pgBefore : null },
      db: { transactions: perLogin(countersAfter.xacts - countersBefore.xacts), calls },
      load: { before: loadBefore, after: loadAverage() },
    },
  };
}

export const coldStart: Figure = {
  name: 'cold-start',
  async run(ctx) {
    const total = Number(process.env.BENCH_COLD_START_N ?? (ctx.quick ? 200 : 1000));
    const processList = (process.env.BENCH_COLD_START_PROCESSES ?? '1,2').split(',').map(Number);
    const env = extraEnv();
    const profDir = process.env.BENCH_COLD_START_CPU_PROF;
    const sim = await SimHost.start();
    const db = await startBenchPostgres();
    let connector: ConnectorProcess | undefined;
    try {
      ctx.log(`cold start: provisioning and seeding ${total} linked sessions`);
      // count calls of SQL functions (pg_stat_user_functions), reported per login
      await trackFunctionCalls(db);
      const seeded = await seedLinkedSessions(db, await sim.provision(phones(730, total)), phones(731, total), { wanted: true });
      const ids = seeded.map((s) => s.sessionId);
      // the first connector links them up once (first login after seeding), then stops gracefully
      ctx.log(`cold start: first start (warm-up) load ${loadAverage()}`);
      const warm = await restart(db, sim, ids, 1, env, []);
      connector = warm.connector;
      ctx.log(`cold start: warm-up ${warm.result.connected}/${total} in ${(warm.result.ms / 1000).toFixed(1)} s`);
      const rows: ResultRow[] = [];
      const runs: Restart[] = [];
      for (const processes of processList) {
        await stopConnector(connector);
        connector = undefined;
        const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
        const { result: r, connector: c } = await restart(db, sim, ids, processes, env, nodeArgs);
        connector = c;
        runs.push(r);
        const perLogin = (v: number | null) => (v === null ? '-' : (v / r.connected).toFixed(1));
        ctx.log(`cold start (${processes} proc): ${r.connected}/${total} in ${(r.ms / 1000).toFixed(1)} s, progress ${JSON.stringify(r.progress)}, ` +
          `CPU connector ${(r.cpu.connectorMs / 1000).toFixed(1)} s, sim ${(r.cpu.simMs / 1000).toFixed(1)} s, postgres ${r.cpu.postgresMs === null ? '-' : (r.cpu.postgresMs / 1000).toFixed(1)} s, load ${r.load.before} -> ${r.load.after}`);
        ctx.log(`cold start (${processes} proc): ready after ${r.ready.s.toFixed(1)} s using ${(r.ready.cpuMs / 1000).toFixed(1)} s CPU; split ${JSON.stringify(r.split)}`);
        ctx.log(`cold start (${processes} proc): per login ${r.db.transactions} transactions, SQL function calls ${JSON.stringify(r.db.calls)}`);
        const settings = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ') || 'connector defaults';
        rows.push({
          figure: `cold start: restart with ${total} linked -> all connected (${processes} proc)`,
          value: r.connected === total ? r.ms / 1000 : null, unit: 's', goal: { op: '<=', value: 30 },
          note: `${r.connected}/${total} connected, QR seen on ${r.sawQr}; includes process start; ${settings}; ` +
            `10/50/90 % at ${r.progress['10%'] ?? '-'}/${r.progress['50%'] ?? '-'}/${r.progress['90%'] ?? '-'} s; load ${r.load.before} -> ${r.load.after}`,
        });
        rows.push({
          figure: `cold start: CPU per login (${processes} proc)`,
          value: r.connected ? r.cpu.connectorMs / r.connected : null, unit: 'ms', goal: null,
          note: `connector tree ${(r.cpu.connectorMs / 1000).toFixed(1)} s CPU (process start until the health port answered: ${(r.ready.cpuMs / 1000).toFixed(1)} s CPU, ${r.ready.s.toFixed(1)} s), simulator ${perLogin(r.cpu.simMs)} ms/login, ` +
            `postgres ${perLogin(r.cpu.postgresMs)} ms/login (${r.db.transactions} transactions/login); floor: Baileys alone ~58-74 ms client CPU per login`,
        });
      }
      return { rows, details: { total, env, warmUp: warm.result, runs } };
    } finally {
      if (connector) await stopConnector(connector);
      await db.stop();
      await sim.stop();
    }
  },
};
