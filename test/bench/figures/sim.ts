// The simulator's own figures, from test/sim/bench.ts (run as is, in its own process; it starts the
// simulator in a further process): connect -> QR, QR -> open, messages/s the simulator can decrypt on one core.
import type { Figure } from '../harness.ts';
import { spawnReady } from '../support/processes.ts';

interface SimBench {
  connectToQrMs: number; qrToOpenMs: number; provisionedLoginToOpenMs: number; messages: number;
  messagesPerSecond: number; simulatorCpuMsPerMessage: number; simulatorCapacityMessagesPerSecondOneCore: number; clientCpuMsPerMessage: number;
}

export const simFigures: Figure = {
  name: 'sim',
  async run(ctx) {
    const { ready, proc } = await spawnReady<SimBench>('test/sim/bench.ts', {
      env: { BENCH_JSON: '1', BENCH_MESSAGES: ctx.quick ? '1000' : '3000' }, timeoutMs: 300_000, quiet: true,
    });
    await proc.exited;
    const r = ready;
    return {
      rows: [
        { figure: 'sim: connect -> QR', value: r.connectToQrMs, unit: 'ms', goal: null },
        { figure: 'sim: QR -> open (scan, 515, 812 pre-keys)', value: r.qrToOpenMs, unit: 'ms', goal: null },
        { figure: 'sim: msg/s decrypted on one sim core', value: r.simulatorCapacityMessagesPerSecondOneCore, unit: 'msg/s', goal: { op: '>=', value: 500 },
          note: `${r.simulatorCpuMsPerMessage} ms sim CPU per message (2 decrypts); end-to-end ${r.messagesPerSecond} msg/s with Baileys in another process` },
      ],
      details: r,
    };
  },
};
