// Webhook delivery latency (issue 15): an event committed (the INSERT of an inbound message returned; its
// message.received event is written by the trigger in that transaction) -> the CRM's endpoint has the request
// and verified its Standard Webhooks signature. A real local HTTP receiver in this process (the library the
// connector signs with), the connector in its own process (LISTEN/NOTIFY wakes its delivery loop), bare
// Postgres. Two shapes: one event at a time (the next 20 ms after the previous arrived), and a burst of
// events committed back to back (what a busy inbox looks like: how long the last one waits).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Figure } from '../harness.ts';
import { nsToMs, sleep, summarize, waitUntil } from '../harness.ts';
import { startBenchPostgres, startConnectorProcess, stopConnector } from '../support/environment.ts';
import { SimHost } from '../support/sim-client.ts';

export const webhookLatency: Figure = {
  name: 'webhook-latency',
  needsFloor: false,
  async run(ctx) {
    const sim = await SimHost.start();
    const db = await startBenchPostgres();
    const arrived = new Map<string, bigint>();
    let refused = 0;
    let secret = '';
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = process.hrtime.bigint();
        const body = Buffer.concat(chunks).toString('utf8');
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
        } catch {
          refused++;
          res.writeHead(401).end();
          return;
        }
        const event = JSON.parse(body) as { data: { message?: { wa_message_id?: string } } };
        const id = event.data.message?.wa_message_id;
        if (id && !arrived.has(id)) arrived.set(id, at);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm`;
    let connector: Awaited<ReturnType<typeof startConnectorProcess>> | undefined;
    try {
      const [user] = await db.sql<{ id: string }[]>`insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, email_confirmed_at)
        values (gen_random_uuid(), 'webhook-bench@bench.local', 'authenticated', 'authenticated', '{}', '{}', now()) returning id`;
      const userId = user!.id;
      // a finished session: nothing for the connector to resume, the events are what it works on
      const [session] = await db.sql<{ id: string }[]>`insert into whatsapp_sessions (user_id, status) values (${userId}, 'logged_out') returning id`;
      secret = await db.sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify({ sub: userId, role: 'authenticated' })}, true)`;
        const [row] = await tx<{ secret: string }[]>`select rotate_webhook_secret() as secret`;
        await tx`select save_messaging_settings(null, true, ${tx.json({ webhook: { url, enabled: true } })})`;
        return row!.secret;
      });
      connector = await startConnectorProcess({ db, sim, env: { WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'enabled', WEBHOOK_CONCURRENCY: '4' } });

      let seq = 0;
      const commit = async () => {
        const waId = `WHBENCH${String(seq++).padStart(8, '0')}`;
        await db.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_phone, message_type, text, wa_timestamp)
          values (${session!.id}, ${userId}, ${waId}, '15557770001@s.whatsapp.net', '+15557770001', 'text', 'hola', now())`;
        return { waId, t0: process.hrtime.bigint() };
      };
      const latency = (c: { waId: string; t0: bigint }) => nsToMs(arrived.get(c.waId)! - c.t0);

      for (let i = 0; i < 20; i++) { // warm-up: connections, plans, JIT
        const c = await commit();
        await waitUntil(() => arrived.has(c.waId) || undefined, 30_000, 'warm-up event at the receiver', 1);
      }
      const n = ctx.quick ? 100 : 300;
      const single: { waId: string; t0: bigint }[] = [];
      for (let i = 0; i < n; i++) {
        const c = await commit();
        single.push(c);
        await waitUntil(() => arrived.has(c.waId) || undefined, 30_000, 'event at the receiver', 1);
        await sleep(20);
      }
      const burstN = ctx.quick ? 100 : 300;
      const burst: { waId: string; t0: bigint }[] = [];
      for (let i = 0; i < burstN; i++) burst.push(await commit());
      await waitUntil(() => burst.every((c) => arrived.has(c.waId)) || undefined, 120_000, 'every burst event at the receiver', 5);
      const one = summarize(single.map(latency));
      const many = summarize(burst.map(latency));
      const burstSeconds = nsToMs(arrived.get(burst.at(-1)!.waId)! - burst[0]!.t0) / 1000;
      const how = `${n} events one at a time (next 20 ms after arrival); local receiver verifies each signature; bare Postgres; shared 2-core box`;
      return {
        rows: [
          { figure: 'webhook latency: event committed -> CRM received p50', value: one.p50, unit: 'ms', goal: null, note: how },
          { figure: 'webhook latency: event committed -> CRM received p95', value: one.p95, unit: 'ms', goal: null },
          { figure: 'webhook latency: event committed -> CRM received p99', value: one.p99, unit: 'ms', goal: null },
          { figure: `webhook latency: burst of ${burstN}, p50`, value: many.p50, unit: 'ms', goal: null,
            note: `committed back to back; p95 ${many.p95.toFixed(1)} ms, last one ${many.max.toFixed(0)} ms; ${(burstN / burstSeconds).toFixed(0)} events/s; WEBHOOK_CONCURRENCY 4` },
        ],
        details: { single: one, burst: many, burstEventsPerSecond: burstN / burstSeconds, refused },
      };
    } finally {
      if (connector) await stopConnector(connector);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.stop();
      await sim.stop();
    }
  },
};
