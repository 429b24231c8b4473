// The floor, measured in this run: Baileys alone (test/bench/floor/client.ts, its own process) against
// the simulator (its own process), no database. Latency: 1 session, one message at a time.
// Throughput: one send loop per session with at most 64 unacked messages each (as in the floor doc).
import type { Figure, ResultRow } from '../harness.ts';
import { spawnReady } from '../support/processes.ts';
import { SimHost } from '../support/sim-client.ts';

interface Summary { p50: number; p95: number; p99: number; n: number }
interface LatencyResult { toFrame: Summary; toDecrypted: Summary; sendMessageResolves: Summary }
interface ThroughputResult { ackedPerSec: number; sentPerSec: number; simDecryptsPerSec: number; clientCpuPct: number; simCpuPct: number; rssMb: number }

async function runClient<T>(sim: SimHost, env: Record<string, string>): Promise<T> {
  const { ready, proc } = await spawnReady<T>('test/bench/floor/client.ts', {
    env: { FLOOR_SIM: sim.info.controlUrl, FLOOR_WS: sim.url, FLOOR_ROOT_PUBLIC_KEY: sim.info.rootPublicKeyBase64, ...env },
    timeoutMs: 600_000,
  });
  await proc.exited;
  return ready;
}

export const floor: Figure = {
  name: 'floor',
  async run(ctx) {
    const sim = await SimHost.start();
    try {
      const window = ctx.quick ? 5000 : 20_000;
      ctx.log('floor: latency (1 session)');
      const lat = await runClient<LatencyResult>(sim, { FLOOR_MODE: 'latency', FLOOR_SENDS: ctx.quick ? '300' : '1000', FLOOR_PREFIX: '600' });
      ctx.log('floor: throughput, 1 session');
      const one = await runClient<ThroughputResult>(sim, { FLOOR_MODE: 'throughput', FLOOR_SESSIONS: '1', FLOOR_WINDOW_MS: String(window), FLOOR_PREFIX: '610' });
      ctx.log('floor: throughput, 50 sessions');
      const fifty = await runClient<ThroughputResult>(sim, { FLOOR_MODE: 'throughput', FLOOR_SESSIONS: '50', FLOOR_WINDOW_MS: String(window), FLOOR_PREFIX: '620' });
      Object.assign(ctx.floor, {
        latencyP50: lat.toDecrypted.p50, latencyP95: lat.toDecrypted.p95, latencyP99: lat.toDecrypted.p99,
        frameP50: lat.toFrame.p50, frameP99: lat.toFrame.p99,
        rate1: one.ackedPerSec, rate50: fifty.ackedPerSec,
        // CPU ms per acked message: % of a core x 10 ms/s ÷ msg/s
        cpuPerMsg1: (one.clientCpuPct * 10) / one.ackedPerSec, cpuPerMsg50: (fifty.clientCpuPct * 10) / fifty.ackedPerSec,
      });
      const rows: ResultRow[] = [
        { figure: 'floor: sendMessage -> sim has frame p50', value: lat.toFrame.p50, unit: 'ms', goal: null },
        { figure: 'floor: sendMessage -> sim has frame p99', value: lat.toFrame.p99, unit: 'ms', goal: null },
        { figure: 'floor: sendMessage -> sim decrypted p50', value: lat.toDecrypted.p50, unit: 'ms', goal: null },
        { figure: 'floor: sendMessage -> sim decrypted p95', value: lat.toDecrypted.p95, unit: 'ms', goal: null },
        { figure: 'floor: sendMessage -> sim decrypted p99', value: lat.toDecrypted.p99, unit: 'ms', goal: null },
        { figure: 'floor: msg/s, 1 session (acked)', value: one.ackedPerSec, unit: 'msg/s', goal: null,
          note: `client CPU ${Math.round(one.clientCpuPct)}%, sim CPU ${Math.round(one.simCpuPct)}%, window ${window / 1000} s` },
        { figure: 'floor: msg/s, 50 sessions (acked)', value: fifty.ackedPerSec, unit: 'msg/s', goal: null,
          note: `stock Baileys (per-socket AsyncLocalStorage); client CPU ${Math.round(fifty.clientCpuPct)}%, sim CPU ${Math.round(fifty.simCpuPct)}%` },
        { figure: 'floor: Baileys CPU per acked message, 1 / 50 sessions', value: ctx.floor.cpuPerMsg1!, unit: 'ms', goal: null,
          note: `50 sessions: ${ctx.floor.cpuPerMsg50!.toFixed(2)} ms` },
      ];
      return { rows, details: { latency: lat, throughput1: one, throughput50: fifty } };
    } finally {
      await sim.stop();
    }
  },
};
