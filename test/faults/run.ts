// `npm run test:faults [-- --ci] [-- --only=a,b]`: each scenario prints one line (load, faults injected,
// messages lost, duplicates at the recipients (a text shown twice: two WhatsApp ids), same-id re-sends on the
// wire (reported only: a phone shows one message per id), other problems); exits 1 if any
// scenario lost or duplicated anything, failed a check, or could not run.
// --ci: the same scenarios with smaller numbers (fewer sessions and messages, shorter fault windows).
// --hog=N (or --hog N): N busy processes spin beside the scenarios for the whole run (a loaded box, issue
// 16.7); each line then reports the load average seen, and the hogs are killed on every way out.
import { join } from 'node:path';
import { writeResults } from '../bench/harness.ts';
import { repoRoot } from '../bench/support/processes.ts';
import { startSharedPostgres } from '../bench/support/environment.ts';
import type { Scenario, ScenarioResult } from './support.ts';
import { sigkill } from './scenarios/sigkill.ts';
import { pgRestart } from './scenarios/pg-restart.ts';
import { socketDrops } from './scenarios/socket-drops.ts';
import { twoConnectors } from './scenarios/two-connectors.ts';
import { apiFuzz } from './scenarios/api-fuzz.ts';
import { CpuHog } from './hog.ts';
import { guardRun } from '../bench/support/reaper.ts';

await guardRun(); // nothing this run starts outlives it (issue 16 item 2)

const all: Scenario[] = [sigkill, pgRestart, socketDrops, twoConnectors, apiFuzz];
const args = process.argv.slice(2);
const ci = args.includes('--ci');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean);
const unknown = only?.filter((n) => !all.some((s) => s.name === n)) ?? [];
if (unknown.length) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const selected = only ? all.filter((s) => only.includes(s.name)) : all;
const hogArg = args.find((a) => a.startsWith('--hog='))?.slice('--hog='.length) ?? (args.includes('--hog') ? args[args.indexOf('--hog') + 1] : undefined);
const hogs = hogArg === undefined ? 0 : Number(hogArg);
if (!Number.isInteger(hogs) || hogs < 0 || hogs > 64) {
  process.stderr.write(`--hog wants a number of busy processes (0-64), got ${hogArg}\n`);
  process.exit(2);
}
const started = Date.now();
const log = (m: string) => process.stderr.write(`[faults ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

let shared: Awaited<ReturnType<typeof startSharedPostgres>> | undefined;
const database = async () => (shared ??= await startSharedPostgres()).clone();

const results: ScenarioResult[] = [];
const hog = hogs ? new CpuHog(hogs) : undefined;
if (hog) log(`${hogs} CPU hogs spinning (pids ${hog.pids.join(', ')})`);
for (const scenario of selected) {
  const t = Date.now();
  log(`${scenario.name}: start${ci ? ' (--ci)' : ''}`);
  hog?.restartSampling();
  let result: ScenarioResult;
  try {
    result = await scenario.run({ ci, log, database });
  } catch (error) {
    result = { name: scenario.name, load: '-', faults: '-', lost: NaN, duplicates: NaN, problems: [`did not run to the end: ${(error as Error).message.split('\n')[0]}`] };
  }
  result.seconds = (Date.now() - t) / 1000;
  if (hog) result.hog = { processes: hogs, load: hog.load() };
  results.push(result);
  const ok = result.lost === 0 && result.duplicates === 0 && result.problems.length === 0;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${result.name}: load ${result.load}; faults ${result.faults}; lost ${result.lost}; duplicates ${result.duplicates}` +
    `${result.resent !== undefined ? `; same-id re-sends ${result.resent}` : ''}` +
    `${result.problems.length ? `; problems: ${result.problems.join(' | ')}` : ''}` +
    `${result.hog ? `; ${hogs} hogs, load ${result.hog.load.mean} mean / ${result.hog.load.max} max` : ''} (${result.seconds.toFixed(0)} s)\n`);
}
hog?.stop();
await shared?.stop();
const failed = results.filter((r) => !(r.lost === 0 && r.duplicates === 0 && r.problems.length === 0));
const path = await writeResults(join(repoRoot, 'bench-results'), { kind: 'faults', ci, hogs, seconds: (Date.now() - started) / 1000, results });
process.stdout.write(`${results.length - failed.length}/${results.length} scenarios clean in ${((Date.now() - started) / 1000).toFixed(0)} s (${path})\n`);
process.exit(failed.length ? 1 : 0);
