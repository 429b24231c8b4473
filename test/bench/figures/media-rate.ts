// Media rate (issue 14): 50 linked sessions; a contact per session sends small videos (64 KB each, through the
// simulator's control API); rate = messages / (first send -> the last one stored in Storage, media_state stored).
// The connector downloads, checks and streams each into the whatsapp-media bucket of the local stack and records it.
// Floor, same run, same simulator process: 50 stock Baileys sockets in their own process receiving the same sends and
// downloading each into a null sink (floor/media-client.ts FLOOR_MEDIA=receive). One warm-up video per session first
// on both sides (Signal sessions, media connections). No goal: the issue asks for the figure with its floor.
import { cpus, loadavg } from 'node:os';
import type { Figure } from '../harness.ts';
import { pool, sleep, waitUntil } from '../harness.ts';
import { countConnected, seedLinkedSessions, startBenchStack, startConnectorProcess, stopConnector, type ConnectorProcess, type Database } from '../support/environment.ts';
import { spawnReady } from '../support/processes.ts';
import { phones, SimHost } from '../support/sim-client.ts';

const SIZE = 64 * 1024;

async function storedCount(db: Database, sessionIds: string[]): Promise<number> {
  const [row] = await db.sql<{ n: number; bad: number }[]>`select count(*) filter (where media_state = 'stored')::int as n,
      count(*) filter (where media_state not in ('pending', 'stored'))::int as bad
    from inbound_messages where session_id = any(${sessionIds}::uuid[]) and media_kind is not null`;
  if (row!.bad > 0) throw new Error(`${row!.bad} inbound media rows ended neither pending nor stored`);
  return row!.n;
}

export const mediaRate: Figure = {
  name: 'media-rate',
  async run(ctx) {
    const sessionsN = 50;
    const perSession = ctx.quick ? 4 : 10;
    const sim = await SimHost.start();
    const db = await startBenchStack();
    let connector: ConnectorProcess | undefined;
    const loadBefore = loadavg()[0]!;
    try {
      const mine = phones(750, sessionsN);
      const contacts = phones(751, sessionsN);
      await sim.contacts(contacts, 'none');
      const { caPem } = await sim.media();
      const seeded = await seedLinkedSessions(db, await sim.provision(mine), contacts);
      const ids = seeded.map((s) => s.sessionId);
      connector = await startConnectorProcess({
        db, sim, env: { MEDIA: 'enabled', WA_SIM_MEDIA_CA: Buffer.from(caPem).toString('base64'), SWEEP_INTERVAL_MS: '500' },
      });
      await waitUntil(async () => (await countConnected(db, ids)) === sessionsN, 120_000, `${sessionsN} sessions connected`, 250);
      await sleep(ctx.quick ? 2000 : 5000); // settle: pre-key uploads, first sweeps

      const sendAll = (k: number) => pool(Array.from({ length: sessionsN * k }, (_, i) => i), 8,
        (i) => sim.sendMedia(contacts[i % sessionsN]!, mine[i % sessionsN]!, SIZE));
      await sendAll(1);
      await waitUntil(async () => (await storedCount(db, ids)) >= sessionsN, 120_000, 'warm-up media stored', 100);
      const total = sessionsN + sessionsN * perSession;
      const t0 = performance.now();
      await sendAll(perSession);
      await waitUntil(async () => (await storedCount(db, ids)) >= total, 300_000, `${total} media stored`, 100);
      const ms = performance.now() - t0;
      const rate = (sessionsN * perSession) / (ms / 1000);
      ctx.log(`media-rate: ${sessionsN * perSession} media in ${ms.toFixed(0)} ms (${rate.toFixed(1)}/s)`);
      await stopConnector(connector);
      connector = undefined;

      const { proc, ready } = await spawnReady<{ ms: number; messages: number }>('test/bench/floor/media-client.ts', {
        env: {
          FLOOR_MEDIA: 'receive', FLOOR_SIM: sim.info.controlUrl, FLOOR_WS: sim.url, FLOOR_ROOT_PUBLIC_KEY: sim.info.rootPublicKeyBase64,
          FLOOR_CA: Buffer.from(caPem).toString('base64'), FLOOR_SESSIONS: String(sessionsN), FLOOR_PER_SESSION: String(perSession),
          FLOOR_SIZE: String(SIZE),
        },
        nodeArgs: ['--expose-gc'], quiet: true, timeoutMs: 300_000,
      });
      await proc.exited;
      const floorRate = ready.messages / (ready.ms / 1000);
      return {
        rows: [{
          figure: `media-rate: ${SIZE / 1024} KB videos received and stored in Storage, ${sessionsN} sessions`, value: rate, unit: 'msg/s',
          goal: null, floor: floorRate,
          note: `${sessionsN * perSession} messages in ${ms.toFixed(0)} ms (load average ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores); floor = ${sessionsN} stock Baileys sockets downloading each to a null sink (${ready.ms.toFixed(0)} ms, own process)`,
        }],
        details: { sessionsN, perSession, size: SIZE, ms, floor: ready, simMedia: (await sim.media()).stats },
      };
    } finally {
      if (connector) await stopConnector(connector);
      await db.stop();
      await sim.stop();
    }
  },
};
