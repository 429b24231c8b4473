// Realtime churn (issue 16): how many row changes of the `supabase_realtime` publication the connector
// causes, which is what Realtime decodes (pgoutput or wal2json, every change of a published table) and
// RLS-checks for each subscriber of that table: browsers watch whatsapp_sessions and outbound_messages.
// Counted from pg_stat_user_tables (inserted + updated + deleted rows per published table): idle linked
// sessions over a window (per session per minute), then rows sent with delivery+read receipts (per message).
import type { Figure, ResultRow } from '../harness.ts';
import { sleep, waitUntil } from '../harness.ts';
import { countConnected, seedLinkedSessions, startBenchPostgres, startConnectorProcess, stopConnector, type Database } from '../support/environment.ts';
import { phones, SimHost } from '../support/sim-client.ts';

type Counts = Map<string, number>;

async function publishedChanges(db: Database): Promise<Counts> {
  // statistics reach the shared counters within about a second of each commit; read a fresh snapshot
  await sleep(1500);
  const rows = await db.sql.begin(async (tx) => {
    await tx`select pg_stat_clear_snapshot()`;
    return tx<{ table: string; n: string }[]>`
      select t.relname as table, (t.n_tup_ins + t.n_tup_upd + t.n_tup_del)::text as n
        from pg_stat_user_tables t
        join pg_publication_tables p on p.schemaname = t.schemaname and p.tablename = t.relname and p.pubname = 'supabase_realtime'`;
  });
  return new Map(rows.map((r) => [r.table, Number(r.n)]));
}

function delta(after: Counts, before: Counts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [table, n] of after) if (n - (before.get(table) ?? 0) > 0) out[table] = n - (before.get(table) ?? 0);
  return out;
}

const total = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);

export const realtimeChurn: Figure = {
  name: 'realtime-churn',
  async run(ctx) {
    const sessionsN = ctx.quick ? 50 : 200;
    const idleMs = ctx.quick ? 30_000 : 60_000;
    const perSession = 5;
    const sim = await SimHost.start();
    const db = await startBenchPostgres();
    let connector: Awaited<ReturnType<typeof startConnectorProcess>> | undefined;
    try {
      const mine = phones(730, sessionsN);
      const contacts = phones(731, sessionsN);
      await sim.contacts(contacts, 'read');
      const seeded = await seedLinkedSessions(db, await sim.provision(mine), contacts);
      const ids = seeded.map((s) => s.sessionId);
      connector = await startConnectorProcess({ db, sim });
      await waitUntil(async () => (await countConnected(db, ids)) === sessionsN, 300_000, `${sessionsN} sessions connected`, 500);
      await sleep(5000); // the logins' own writes (pre-keys, status) settle first

      const idle0 = await publishedChanges(db);
      const t0 = Date.now();
      await sleep(idleMs);
      const idle1 = await publishedChanges(db);
      const idle = delta(idle1, idle0);
      const minutes = (Date.now() - t0) / 60_000;

      const s: string[] = [], u: string[] = [], r: string[] = [], t: string[] = [];
      for (let k = 0; k < perSession; k++) for (const x of seeded) { s.push(x.sessionId); u.push(x.userId); r.push(x.contact); t.push(`churn ${k}`); }
      const send0 = await publishedChanges(db);
      const sendStart = Date.now();
      await db.sql`insert into outbound_messages (session_id, user_id, recipient, text)
        select * from unnest(${s}::uuid[], ${u}::uuid[], ${r}::text[], ${t}::text[])`;
      await waitUntil(async () => {
        const [q] = await db.sql<{ n: number }[]>`select count(*)::int as n from outbound_messages where status = 'read'`;
        return q!.n === s.length;
      }, 300_000, 'every row read', 250);
      const send1 = await publishedChanges(db);
      const sendMinutes = (Date.now() - sendStart) / 60_000;
      const sending = delta(send1, send0);
      // the idle churn of the same sessions during the sending phase is not the messages'
      const idleDuringSend = Object.fromEntries(Object.entries(idle).map(([k, v]) => [k, (v / minutes) * sendMinutes]));
      const perMessage = (total(sending) - total(idleDuringSend)) / s.length;

      const idlePerSessionMinute = total(idle) / sessionsN / minutes;
      const rows: ResultRow[] = [
        { figure: 'realtime churn: idle, published row changes per session per minute', value: idlePerSessionMinute, unit: 'changes', goal: null,
          note: `${sessionsN} idle linked sessions, ${Math.round(minutes * 60)} s: ${JSON.stringify(idle)}; at 10,000 sessions ` +
            `${Math.round((idlePerSessionMinute * 10_000) / 60)} changes/s for Realtime to decode` },
        { figure: 'realtime churn: published row changes per sent message (insert → read)', value: perMessage, unit: 'changes', goal: null,
          note: `${s.length} rows, delivery + read receipts: ${JSON.stringify(sending)} (idle churn of the window taken off)` },
      ];
      return { rows, details: { sessionsN, idle, minutes, sending, sendMinutes, perMessage, idlePerSessionMinute } };
    } finally {
      if (connector) await stopConnector(connector);
      await db.stop();
      await sim.stop();
    }
  },
};
