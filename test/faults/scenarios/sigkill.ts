// SIGKILL the connector (its own process, `node --import tsx connector/main.ts`) at random moments while
// it sends a backlog over many sessions; a fresh connector (new id, as a restarted pod) starts right
// after each kill. Every row must end `sent` or later and reach its recipient as one message (one WhatsApp id).
import { stopConnector, type ConnectorProcess } from '../../bench/support/environment.ts';
import { SimHost } from '../../bench/support/sim-client.ts';
import { waitUntil } from '../../bench/harness.ts';
import { auditOutbound, connector, linkedFleet, queueMessages, randomBetween, sleep, statusCounts, waitDrained, type Scenario } from '../support.ts';

export const sigkill: Scenario = {
  name: 'sigkill',
  async run(ctx) {
    const sessionsN = ctx.ci ? 10 : 20;
    const messages = ctx.ci ? 1500 : 5000;
    const kills = ctx.ci ? 3 : 5;
    const sim = await SimHost.start();
    const db = await ctx.database();
    let proc: ConnectorProcess | undefined;
    try {
      const fleet = await linkedFleet(db, sim, sessionsN, 'delivered');
      await queueMessages(db, fleet, messages, 'kill');
      proc = await connector(db, sim);
      const killedAt: string[] = [];
      for (let k = 0; k < kills; k++) {
        // kill while it is sending: after it got a random 4-15 % further, plus up to 300 ms
        const sentNow = async () => {
          const c = await statusCounts(db, fleet);
          return (c.sent ?? 0) + (c.delivered ?? 0) + (c.read ?? 0);
        };
        const target = Math.min(messages - 1, (await sentNow()) + Math.round(randomBetween(0.04, 0.15) * messages));
        await waitUntil(async () => (await sentNow()) >= target || undefined, 180_000, `${target} rows sent`, 100);
        await sleep(randomBetween(0, 300));
        killedAt.push(`${await sentNow()}/${messages}`);
        proc.kill('SIGKILL');
        await proc.exited;
        ctx.log(`sigkill: killed connector ${k + 1}/${kills} at ${killedAt[k]} sent`);
        proc = await connector(db, sim);
      }
      const drained = await waitDrained(db, fleet, ctx.ci ? 180_000 : 300_000);
      await sleep(1000);
      const audit = await auditOutbound(db, sim, fleet);
      const problems: string[] = [];
      if (audit.duplicates) problems.push(`${audit.duplicates} duplicates; rows left at 'sent' without a receipt: ${audit.counts.sent ?? 0}`);
      if (!drained) problems.push(`rows still queued/sending: ${JSON.stringify(audit.counts)}`);
      return {
        name: 'sigkill', load: `${messages} msgs over ${sessionsN} sessions`, faults: `${kills} x SIGKILL (at ${killedAt.join(', ')} sent)`,
        lost: audit.lost, duplicates: audit.duplicates, resent: audit.resent, problems, details: audit,
      };
    } finally {
      if (proc) await stopConnector(proc, 5000);
      await db.stop();
      await sim.stop();
    }
  },
};
