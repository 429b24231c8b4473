// Postgres restarts mid-run (embedded Postgres stopped and started again on the same port and data
// directory). The connector is not touched: it must recover by itself and lose nothing.
import { startEmbeddedPostgres } from '../../../stack/db/embedded.ts';
import { startBenchPostgres, stopConnector, type ConnectorProcess } from '../../bench/support/environment.ts';
import { SimHost } from '../../bench/support/sim-client.ts';
import { auditOutbound, connector, linkedFleet, queueMessages, sessionStatuses, sleep, waitAllConnected, waitDrained, type Scenario } from '../support.ts';

export const pgRestart: Scenario = {
  name: 'pg-restart',
  async run(ctx) {
    const sessionsN = 10;
    const messages = ctx.ci ? 1000 : 3000;
    const downMs = ctx.ci ? 3000 : 8000;
    const sim = await SimHost.start();
    const db = await startBenchPostgres({ persistent: true });
    let proc: ConnectorProcess | undefined;
    try {
      const fleet = await linkedFleet(db, sim, sessionsN, 'delivered');
      proc = await connector(db, sim);
      await queueMessages(db, fleet, messages, 'pg');
      await sleep(1500);
      ctx.log(`pg-restart: stopping Postgres for ${downMs / 1000} s`);
      const port = db.pg!.port;
      await db.pg!.stop();
      await sleep(downMs);
      const pg2 = await startEmbeddedPostgres({ dataDir: db.dataDir!, port, persistent: true });
      db.pg = pg2;
      ctx.log('pg-restart: Postgres is back');
      const drained = await waitDrained(db, fleet, 180_000);
      const connected = await waitAllConnected(db, fleet, 60_000);
      await sleep(1000);
      const audit = await auditOutbound(db, sim, fleet);
      const problems: string[] = [];
      if (proc.child.exitCode !== null) problems.push(`the connector exited (${proc.child.exitCode}) instead of recovering`);
      if (!drained) problems.push(`rows still queued/sending: ${JSON.stringify(audit.counts)}`);
      if (!connected) problems.push(`sessions not all connected again: ${JSON.stringify(await sessionStatuses(db, fleet))}`);
      return {
        name: 'pg-restart', load: `${messages} msgs over ${sessionsN} sessions`, faults: `Postgres down ${downMs / 1000} s mid-run`,
        lost: audit.lost, duplicates: audit.duplicates, resent: audit.resent, problems, details: audit,
      };
    } finally {
      if (proc) await stopConnector(proc, 5000);
      await db.stop();
      await sim.stop();
    }
  },
};
