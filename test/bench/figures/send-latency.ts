// Send latency at low load: an outbound row committed (the INSERT returned) -> the simulator has the
// stanza (frame arrival, the floor's definition) and has decrypted it. Local stack (Realtime doorbell),
// connector and simulator each in their own process; one linked session, one row at a time.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { Figure } from '../harness.ts';
import { nsToMs, sleep, summarize, waitUntil } from '../harness.ts';
import { countConnected, seedLinkedSessions, startBenchStack, startConnectorProcess, stopConnector } from '../support/environment.ts';
import { phones, SimHost } from '../support/sim-client.ts';

export const sendLatency: Figure = {
  name: 'send-latency',
  needsFloor: true,
  async run(ctx) {
    const sim = await SimHost.start();
    const db = await startBenchStack();
    let connector: Awaited<ReturnType<typeof startConnectorProcess>> | undefined;
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const [me] = phones(700, 1);
      const [contact] = phones(701, 1);
      await sim.contacts([contact!], 'none');
      const devices = await sim.provision([me!]);
      const [session] = await seedLinkedSessions(db, devices, [contact!]);
      connector = await startConnectorProcess({ db, sim });
      await waitUntil(async () => (await countConnected(db, [session!.sessionId])) === 1, 60_000, 'session connected');

      // a second Realtime subscriber (like the connector's doorbell) in this process: how long the doorbell hop takes
      const realtimeAt = new Map<string, bigint>();
      const watcher = createClient(db.stack!.url, db.stack!.secretKey, {
        auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never },
      });
      await new Promise<void>((resolve) => {
        watcher.channel('bench-latency')
          .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'outbound_messages' }, (p) => {
            realtimeAt.set((p.new as { id: string }).id, process.hrtime.bigint());
          })
          .subscribe((status) => { if (status === 'SUBSCRIBED') resolve(); });
      });
      cleanups.push(async () => { await watcher.removeAllChannels(); });
      const insert = async (text: string) => {
        const [row] = await db.sql<{ id: string; wa_message_id: string }[]>`
          insert into outbound_messages (session_id, user_id, recipient, text)
          values (${session!.sessionId}, ${session!.userId}, ${contact!}, ${text}) returning id, wa_message_id`;
        return { t0: process.hrtime.bigint(), ...row! };
      };
      // one row at a time (the next one 20 ms after the previous reached `sent`), as the floor sends
      const sentRow = (id: string) => waitUntil(async () => {
        const [r] = await db.sql<{ status: string }[]>`select status from outbound_messages where id = ${id}`;
        return r!.status === 'sent' || undefined;
      }, 30_000, 'row sent', 2);
      for (let i = 0; i < 20; i++) {
        await sentRow((await insert(`warm ${i}`)).id);
        await sleep(20);
      }
      const n = ctx.quick ? 100 : 500;
      const sent: { t0: bigint; id: string; wa_message_id: string }[] = [];
      for (let i = 0; i < n; i++) {
        const row = await insert(`lat ${i}`);
        sent.push(row);
        await sentRow(row.id);
        await sleep(20);
      }
      await waitUntil(async () => {
        const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from outbound_messages where session_id = ${session!.sessionId} and status = 'sent'`;
        return r!.n >= n + 20;
      }, 60_000, 'every row sent');
      const stamps = await sim.stamps(sent.map((s) => s.wa_message_id));
      const frame: number[] = [];
      const decrypted: number[] = [];
      stamps.forEach((st, i) => {
        if (st.frameNs) frame.push(nsToMs(BigInt(st.frameNs) - sent[i]!.t0));
        if (st.recordNs) decrypted.push(nsToMs(BigInt(st.recordNs) - sent[i]!.t0));
      });
      const doorbell = summarize(sent.filter((x) => realtimeAt.has(x.id)).map((x) => nsToMs(realtimeAt.get(x.id)! - x.t0)));
      const f = summarize(frame);
      const d = summarize(decrypted);
      const how = `${n} rows one at a time (next 20 ms after sent), Realtime doorbell; ${frame.length}/${n} stamped; connector CPU-starved box, see floor`;
      return {
        rows: [
          { figure: 'send latency: row committed -> sim has stanza p50', value: f.p50, unit: 'ms', goal: { op: '<=', value: 10 }, floor: ctx.floor.frameP50, note: how },
          { figure: 'send latency: row committed -> sim has stanza p95', value: f.p95, unit: 'ms', goal: null },
          { figure: 'send latency: row committed -> sim has stanza p99', value: f.p99, unit: 'ms', goal: { op: '<=', value: 50 }, floor: ctx.floor.frameP99 },
          { figure: 'send latency: row committed -> sim decrypted p50', value: d.p50, unit: 'ms', goal: null, floor: ctx.floor.latencyP50 },
          { figure: 'send latency: row committed -> sim decrypted p99', value: d.p99, unit: 'ms', goal: null, floor: ctx.floor.latencyP99 },
          { figure: 'send latency: of which commit -> Realtime event p50', value: doorbell.p50, unit: 'ms', goal: null,
            note: `another Realtime subscriber in the bench process, same event the connector's doorbell gets; p99 ${doorbell.p99.toFixed(1)} ms` },
        ],
        details: { toFrame: f, toDecrypted: d, commitToRealtime: doorbell },
      };
    } finally {
      for (const c of cleanups) await c().catch(() => {});
      if (connector) await stopConnector(connector);
      await db.stop();
      await sim.stop();
    }
  },
};
