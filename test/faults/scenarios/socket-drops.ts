// The simulator drops every socket (TCP, no stream error) every 10 s for 2 minutes while messages flow
// both ways. Every session must come back without a QR, every inbound message must be decrypted and
// stored exactly once (no Bad MAC), every outbound message delivered exactly once.
import { stopConnector, type ConnectorProcess } from '../../bench/support/environment.ts';
import { SimHost } from '../../bench/support/sim-client.ts';
import { auditOutbound, connector, linkedFleet, queueMessages, sessionStatuses, sleep, waitAllConnected, waitDrained, type Scenario } from '../support.ts';

export const socketDrops: Scenario = {
  name: 'socket-drops',
  async run(ctx) {
    const sessionsN = ctx.ci ? 5 : 10;
    const everyMs = ctx.ci ? 5000 : 10_000;
    const forMs = ctx.ci ? 30_000 : 120_000;
    const sim = await SimHost.start();
    const db = await ctx.database();
    let proc: ConnectorProcess | undefined;
    try {
      const fleet = await linkedFleet(db, sim, sessionsN, 'delivered');
      proc = await connector(db, sim);
      if (!(await waitAllConnected(db, fleet, 60_000))) throw new Error('fleet never connected');
      await sim.dropEvery(everyMs, forMs);
      let sawQr = 0;
      let inboundSent = 0;
      let outboundQueued = 0;
      const until = Date.now() + forMs + 1000;
      let tick = 0;
      while (Date.now() < until) {
        // each second: every contact writes to its account, and every account writes to its contact
        const items = fleet.map((s) => ({ from: s.contact, to: s.phone, text: `in ${tick} ${s.contact}` }));
        await sim.sendFromContacts(items);
        inboundSent += items.length;
        await queueMessages(db, fleet, fleet.length, `out ${tick}`);
        outboundQueued += fleet.length;
        const [q] = await db.sql<{ n: number }[]>`select count(*)::int as n from whatsapp_sessions
          where id = any(${fleet.map((s) => s.sessionId)}::uuid[]) and (status = 'qr' or qr is not null)`;
        sawQr = Math.max(sawQr, q!.n);
        tick++;
        await sleep(1000);
      }
      const connected = await waitAllConnected(db, fleet, 60_000);
      const drained = await waitDrained(db, fleet, 120_000);
      // inbound: offline messages are pushed on reconnect; wait until every one is stored (or give up)
      const inboundOf = async () => {
        const [r] = await db.sql<{ n: number; distinct: number; undecrypted: number }[]>`select count(*)::int as n,
            count(distinct (session_id, wa_message_id)) filter (where text like 'in %')::int as distinct,
            count(*) filter (where text is null or text not like 'in %')::int as undecrypted
          from inbound_messages where session_id = any(${fleet.map((s) => s.sessionId)}::uuid[]) and not from_me`;
        return r!;
      };
      const deadline = Date.now() + 60_000;
      let inbound = await inboundOf();
      while (inbound.n < inboundSent && Date.now() < deadline) {
        await sleep(500);
        inbound = await inboundOf();
      }
      const audit = await auditOutbound(db, sim, fleet);
      const devices = await sim.devices();
      const problems: string[] = [];
      if (!connected) problems.push(`sessions not all connected: ${JSON.stringify(await sessionStatuses(db, fleet))}`);
      if (!drained) problems.push(`outbound rows still queued/sending: ${JSON.stringify(audit.counts)}`);
      if (sawQr) problems.push(`${sawQr} sessions showed a QR`);
      if (inbound.undecrypted) problems.push(`${inbound.undecrypted} inbound rows without their text (not decrypted)`);
      if (devices.loggedOut) problems.push(`${devices.loggedOut} devices logged out`);
      const inboundLost = inboundSent - inbound.distinct;
      if (audit.neverArrived) problems.push(`outbound: ${audit.neverArrived} rows marked sent never reached the recipient`);
      if (inboundLost) problems.push(`inbound: ${inboundLost} of ${inboundSent} contact messages never stored`);
      return {
        name: 'socket-drops', load: `${outboundQueued} out + ${inboundSent} in over ${sessionsN} sessions`,
        faults: `all sockets dropped every ${everyMs / 1000} s for ${forMs / 1000} s`,
        lost: audit.lost + Math.max(0, inboundLost), duplicates: audit.duplicates + (inbound.n - inbound.distinct), resent: audit.resent, problems,
        details: { audit, inboundSent, inbound, sawQr, sim: await sim.stats() },
      };
    } finally {
      if (proc) await stopConnector(proc, 5000);
      await db.stop();
      await sim.stop();
    }
  },
};
