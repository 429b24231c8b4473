// `npm run bench [-- --quick] [-- --only=a,b]`: every figure against its goal and against the floor
// (Baileys alone) measured in the same run; a table on stdout and bench-results/<timestamp>.json.
// Process layout (2 cores): the simulator always runs in its own process (test/bench/support/sim-host.ts),
// the connector in its own process (`node --import tsx connector/main.ts`), the floor client in its own
// process; this orchestrator only inserts rows and polls, so it stays mostly idle while measuring.
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { formatTable, verdict, writeResults, type Figure, type FigureContext, type ResultRow } from './harness.ts';
import { repoRoot } from './support/processes.ts';
import { floor } from './figures/floor.ts';
import { simFigures } from './figures/sim.ts';
import { authState } from './figures/auth-state.ts';
import { sendLatency } from './figures/send-latency.ts';
import { throughput } from './figures/throughput.ts';
import { memory } from './figures/memory.ts';
import { coldStart } from './figures/cold-start.ts';
import { qr } from './figures/qr.ts';
import { linking } from './figures/linking.ts';
import { media } from './figures/media.ts';
import { mediaRate } from './figures/media-rate.ts';
import { realtimeChurn } from './figures/realtime-churn.ts';
import { webhookLatency } from './figures/webhook-latency.ts';
import { guardRun } from './support/reaper.ts';

await guardRun(); // nothing this run starts outlives it (issue 16 item 2)

const all: Figure[] = [floor, simFigures, authState, sendLatency, throughput, memory, coldStart, qr, linking, media, mediaRate, realtimeChurn, webhookLatency];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean);
if (args.includes('--help')) {
  process.stdout.write(`usage: npm run bench -- [--quick] [--no-floor] [--only=${all.map((f) => f.name).join(',')}]\n`);
  process.exit(0);
}
const unknown = only?.filter((n) => !all.some((f) => f.name === n)) ?? [];
if (unknown.length) {
  process.stderr.write(`unknown figure(s): ${unknown.join(', ')}; known: ${all.map((f) => f.name).join(', ')}\n`);
  process.exit(2);
}
let selected = only ? all.filter((f) => only.includes(f.name)) : all;
if (selected.some((f) => f.needsFloor) && !selected.includes(floor) && !args.includes('--no-floor')) selected = [floor, ...selected];

const started = Date.now();
const ctx: FigureContext = {
  quick,
  floor: {},
  log: (m) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`),
};
const rows: ResultRow[] = [];
const details: Record<string, unknown> = {};
const errors: Record<string, string> = {};
for (const figure of selected) {
  const t = Date.now();
  ctx.log(`${figure.name}: start`);
  try {
    const out = await figure.run(ctx);
    rows.push(...out.rows);
    details[figure.name] = out.details;
  } catch (error) {
    const message = error instanceof Error ? `${error.message}` : String(error);
    errors[figure.name] = message;
    rows.push({ figure: `${figure.name}: not measured`, value: null, unit: '', goal: null, note: message.split('\n')[0]!.slice(0, 300) });
    ctx.log(`${figure.name}: FAILED ${message}`);
  }
  ctx.log(`${figure.name}: done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

const table = formatTable(rows);
process.stdout.write(`\n${table}\n\n`);
const path = await writeResults(join(repoRoot, 'bench-results'), {
  startedAt: new Date(started).toISOString(),
  seconds: (Date.now() - started) / 1000,
  quick,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  floor: ctx.floor,
  rows: rows.map((r) => ({ ...r, ratio: r.value !== null && r.floor ? r.value / r.floor : null, verdict: verdict(r) })),
  errors,
  details,
});
process.stdout.write(`results: ${path} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
process.exit(0);
