// Throughput: 50 linked sessions, pacing off (SEND_MIN_INTERVAL_MS=0), a producer keeps a backlog of
// queued rows for the whole window; rate = rows whose sent_at falls inside the window / window. Then
// the producer stops and every row must reach `sent` (none failed, none stuck). Goal: >= 1.0 x the
// floor's single-session rate measured in this run. Also per sent message: committed transactions and SQL
// function calls (where the database time goes). BENCH_THROUGHPUT_CPU_PROF=<dir> profiles the connector
// (`node --cpu-prof`, written when it stops).
import type { Figure } from '../harness.ts';
import { sleep, waitUntil } from '../harness.ts';
import { countConnected, seedLinkedSessions, startBenchStack, startConnectorProcess, stopConnector } from '../support/environment.ts';
import { cpuMs } from '../support/cpu.ts';
import { phones, SimHost } from '../support/sim-client.ts';
import { dbCounters, perUnit, trackFunctionCalls } from '../support/db-counters.ts';

export const throughput: Figure = {
  name: 'throughput',
  needsFloor: true,
  async run(ctx) {
    const sessionsN = 50;
    const windowMs = ctx.quick ? 15_000 : 60_000;
    const sim = await SimHost.start();
    const db = await startBenchStack();
    let connector: Awaited<ReturnType<typeof startConnectorProcess>> | undefined;
    try {
      const mine = phones(710, sessionsN);
      const contacts = phones(711, sessionsN);
      await sim.contacts(contacts, 'none');
      const seeded = await seedLinkedSessions(db, await sim.provision(mine), contacts);
      const ids = seeded.map((s) => s.sessionId);
      await trackFunctionCalls(db);
      const profDir = process.env.BENCH_THROUGHPUT_CPU_PROF;
      connector = await startConnectorProcess({ db, sim, nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
      await waitUntil(async () => (await countConnected(db, ids)) === sessionsN, 120_000, `${sessionsN} sessions connected`, 250);

      const insertBatch = async (perSession: number, tag: string) => {
        const s: string[] = [], u: string[] = [], r: string[] = [], t: string[] = [];
        for (let k = 0; k < perSession; k++) {
          for (const x of seeded) { s.push(x.sessionId); u.push(x.userId); r.push(x.contact); t.push(`${tag} ${k}`); }
        }
        await db.sql`insert into outbound_messages (session_id, user_id, recipient, text)
          select * from unnest(${s}::uuid[], ${u}::uuid[], ${r}::text[], ${t}::text[])`;
      };
      const queued = async () => {
        const [q] = await db.sql<{ n: number }[]>`select count(*)::int as n from outbound_messages where status in ('queued', 'sending')`;
        return q!.n;
      };
      // warm-up: device lists and Signal sessions, as the floor does
      await insertBatch(3, 'warm');
      await waitUntil(async () => (await queued()) === 0, 60_000, 'warm-up sent', 100);

      let producing = true;
      let batches = 0;
      const producer = (async () => {
        while (producing) {
          if ((await queued()) < 3000) { await insertBatch(20, `tp${batches++}`); continue; }
          await sleep(100);
        }
      })();
      await sleep(2000); // let the backlog build before the window opens
      const t0 = (await db.sql<{ t: Date }[]>`select now() as t`)[0]!.t;
      const cpu0 = await cpuMs(connector.pid);
      const sim0 = await sim.stats();
      const db0 = await dbCounters(db);
      await sleep(windowMs);
      const t1 = (await db.sql<{ t: Date }[]>`select now() as t`)[0]!.t;
      const cpu1 = await cpuMs(connector.pid);
      const sim1 = await sim.stats();
      const db1 = await dbCounters(db);
      producing = false;
      await producer;
      const n = (await db.sql<{ n: number }[]>`select count(*)::int as n from outbound_messages where sent_at >= ${t0} and sent_at < ${t1}`)[0]!.n;
      const elapsed = t1.getTime() - t0.getTime();
      const rate = (n / elapsed) * 1000;
      const drainStart = Date.now();
      await waitUntil(async () => (await queued()) === 0, 300_000, 'backlog drained', 500);
      const drainMs = Date.now() - drainStart;
      const byStatus = await db.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from outbound_messages group by status`;
      const counts = Object.fromEntries(byStatus.map((x) => [x.status, x.n]));
      const notSent = (counts.failed ?? 0) + (counts.queued ?? 0) + (counts.sending ?? 0);
      const connectorCpu = ((cpu1 - cpu0) / elapsed) * 100;
      const simCpu = ((sim1.cpuMs - sim0.cpuMs) / elapsed) * 100;
      const cpuPerMsg = (cpu1 - cpu0) / n;
      const baileysCpuPerMsg = ctx.floor.cpuPerMsg1 ?? NaN;
      const sqlPerMsg = perUnit(db0, db1, n); // includes the producer's inserts and counts (a few per 1,000 rows)
      ctx.log(`throughput: per sent message ${sqlPerMsg.transactions} transactions, SQL function calls ${JSON.stringify(sqlPerMsg.calls)}`);
      return {
        rows: [
          { figure: 'throughput: 50 sessions, pacing off', value: rate, unit: 'msg/s', goal: { op: '>=', value: ctx.floor.rate1 ?? NaN }, floor: ctx.floor.rate1,
            note: `${windowMs / 1000} s window, ${n} rows sent in it; connector CPU ${Math.round(connectorCpu)}% of a core, sim CPU ${Math.round(simCpu)}%; ` +
              `after the window ${JSON.stringify(counts)}, drained in ${(drainMs / 1000).toFixed(1)} s; floor at 50 sessions ${Math.round(ctx.floor.rate50 ?? NaN)} msg/s` },
          { figure: 'throughput: connector CPU per sent message ÷ Baileys\' (1-session floor)', value: cpuPerMsg / baileysCpuPerMsg, unit: 'x',
            goal: { op: '<=', value: 1.2 },
            note: `connector ${cpuPerMsg.toFixed(2)} ms/msg (whole process: Baileys + store + Realtime client), Baileys alone ${baileysCpuPerMsg.toFixed(2)} ms/msg ` +
              `(50 stock sessions ${(ctx.floor.cpuPerMsg50 ?? NaN).toFixed(2)})` },
          { figure: 'throughput: 50 sessions ÷ 1-session floor', value: rate / (ctx.floor.rate1 ?? NaN), unit: 'x', goal: { op: '>=', value: 1 } },
          { figure: 'throughput: outbound claims per sent message', value: sqlPerMsg.calls.claim_ready_outbound_messages ?? 0, unit: 'calls', goal: null,
            note: `${sqlPerMsg.transactions} transactions per sent message; ${JSON.stringify(sqlPerMsg.calls)}` },
          { figure: 'throughput: rows not sent (failed/stuck)', value: notSent, unit: 'rows', goal: { op: '<=', value: 0 } },
        ],
        details: { rate, rows: n, elapsed, counts, connectorCpu, simCpu, drainMs, cpuPerMsg, baileysCpuPerMsg, sqlPerMsg },
      };
    } finally {
      if (connector) await stopConnector(connector);
      await db.stop();
      await sim.stop();
    }
  },
};
