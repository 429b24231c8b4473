// Two connectors on one database: each session is held by exactly one (one lease owner in the database,
// one socket at the simulator, no 440 conflicts); SIGKILL one and the other takes its sessions within
// the lease time; messages sent throughout arrive exactly once.
import { stopConnector, type ConnectorProcess } from '../../bench/support/environment.ts';
import { SimHost } from '../../bench/support/sim-client.ts';
import { waitUntil } from '../../bench/harness.ts';
import { auditOutbound, connector, linkedFleet, queueMessages, sleep, waitDrained, type Scenario } from '../support.ts';

const LEASE_TTL_MS = 3000;

export const twoConnectors: Scenario = {
  name: 'two-connectors',
  async run(ctx) {
    const sessionsN = ctx.ci ? 10 : 20;
    const messages = ctx.ci ? 500 : 2000;
    const sim = await SimHost.start();
    const db = await ctx.database();
    const procs: ConnectorProcess[] = [];
    try {
      const fleet = await linkedFleet(db, sim, sessionsN, 'delivered');
      const ids = fleet.map((s) => s.sessionId);
      const env = { LEASE_TTL_MS: String(LEASE_TTL_MS) };
      // A may hold at most half, so B gets the rest and both hold sessions; then both race for new work
      const a = await connector(db, sim, { ...env, MAX_SESSIONS: String(Math.ceil(sessionsN / 2)) });
      procs.push(a);
      const b = await connector(db, sim, env);
      procs.push(b);
      const owners = async () => db.sql<{ owner: string | null; status: string; n: number }[]>`
        select lease_owner as owner, status, count(*)::int as n from whatsapp_sessions where id = any(${ids}::uuid[]) group by 1, 2`;
      await waitUntil(async () => {
        const rows = await owners();
        return rows.filter((r) => r.status === 'connected' && r.owner).reduce((x, r) => x + r.n, 0) === sessionsN || undefined;
      }, 120_000, 'every session connected under one of the two', 250);
      const split = Object.fromEntries((await owners()).map((r) => [r.owner === a.id ? 'A' : r.owner === b.id ? 'B' : String(r.owner), r.n]));
      const devices = await sim.devices();
      const problems: string[] = [];
      if (devices.connected !== sessionsN + 0) problems.push(`simulator sees ${devices.connected} connected devices for ${sessionsN} sessions`);

      await queueMessages(db, fleet, messages, 'two');
      await sleep(1500);
      const before440 = (await sim.stats()).replacedConflicts;
      // kill A (B has no session limit, so it can take everything)
      const [victim, survivor] = [a, b];
      const victimSessions = (await db.sql<{ id: string }[]>`select id from whatsapp_sessions where lease_owner = ${victim.id}`).map((r) => r.id);
      victim.kill('SIGKILL');
      await victim.exited;
      const killedAt = Date.now();
      let takeoverMs = NaN;
      let claimedMs = NaN;
      await waitUntil(async () => {
        const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from whatsapp_sessions
          where id = any(${victimSessions}::uuid[]) and lease_owner = ${survivor.id}`;
        return r!.n === victimSessions.length || undefined;
      }, 60_000, 'the survivor holds every lease', 50).then(() => (claimedMs = Date.now() - killedAt), () => {});
      await waitUntil(async () => {
        const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from whatsapp_sessions
          where id = any(${victimSessions}::uuid[]) and lease_owner = ${survivor.id} and status = 'connected'`;
        return r!.n === victimSessions.length || undefined;
      }, 60_000, 'the survivor holds every session', 100).then(() => (takeoverMs = Date.now() - killedAt), () => {});
      const drained = await waitDrained(db, fleet, 180_000);
      await sleep(1000);
      const audit = await auditOutbound(db, sim, fleet);
      const conflicts = (await sim.stats()).replacedConflicts;
      const [replaced] = await db.sql<{ n: number }[]>`select count(*)::int as n from whatsapp_sessions where id = any(${ids}::uuid[]) and (status = 'replaced' or last_disconnect_code = 440)`;
      if (conflicts) problems.push(`${conflicts} 440 conflicts at the simulator (${conflicts - before440} after the kill)`);
      if (replaced!.n) problems.push(`${replaced!.n} sessions replaced / closed with 440`);
      if (!Number.isFinite(takeoverMs)) problems.push(`the survivor did not take all ${victimSessions.length} sessions within 60 s`);
      if (!drained) problems.push(`rows still queued/sending: ${JSON.stringify(audit.counts)}`);
      // "within the lease time": the lease must expire (TTL) and then the survivor's sweep and login run
      // the leases must move once they expire (TTL + one sweep); reconnecting them then is CPU-bound (logins)
      if (!(claimedMs <= LEASE_TTL_MS + 2000)) problems.push(`leases taken over after ${claimedMs} ms (lease ${LEASE_TTL_MS} ms)`);
      return {
        name: 'two-connectors', load: `${sessionsN} sessions (split ${JSON.stringify(split)}), ${messages} msgs`,
        faults: `SIGKILL A, holder of ${victimSessions.length}; leases taken in ${(claimedMs / 1000).toFixed(1)} s, all connected in ${Number.isFinite(takeoverMs) ? (takeoverMs / 1000).toFixed(1) + ' s' : 'never'} (lease ${LEASE_TTL_MS / 1000} s)`,
        lost: audit.lost, duplicates: audit.duplicates, resent: audit.resent, problems, details: { split, claimedMs, takeoverMs, conflicts, audit },
      };
    } finally {
      for (const p of procs) await stopConnector(p, 5000);
      await db.stop();
      await sim.stop();
    }
  },
};
