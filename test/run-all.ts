// `npm test`: every check the project has, in one command, with one closing line of counts.
//   1. typecheck (tsc, strict)            3. pgTAP (pg_prove against a throwaway embedded Postgres)
//   2. lint (scripts/lint.ts)             4. vitest (unit, database, stack, function, connector, browser)
//   5. fault suite, reduced (`npm run test:faults -- --ci`: SIGKILL, Postgres restart, socket drops, two
//      connectors, API fuzz; each scenario counts as one test; the full run is `npm run test:faults`)
// All steps run even when one fails, so a CI log shows every problem at once.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';

interface StepResult { name: string; ok: boolean; passed: number; failed: number; seconds: number; failures?: string[] }

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const forward = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on('data', forward(process.stdout));
    child.stderr.on('data', forward(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function step(name: string, fn: () => Promise<Omit<StepResult, 'name' | 'seconds'>>): Promise<StepResult> {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  const result = await fn();
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  console.log(`=== ${name}: ${result.ok ? 'ok' : 'FAILED'} (${seconds} s) ===`);
  return { name, seconds, ...result };
}

const npx = (bin: string) => `node_modules/.bin/${bin}`;

interface VitestReport {
  numPassedTests?: number; numFailedTests?: number;
  testResults?: { name: string; message?: string; assertionResults?: { fullName: string; status: string; failureMessages?: string[] }[] }[];
}

// The names of what failed, repeated under the summary: a CI log often shows only its tail.
function vitestFailures(report: VitestReport): string[] {
  const firstLine = (text = '') => (text.split('\n')[0] ?? '').slice(0, 300);
  return (report.testResults ?? []).flatMap((file) => {
    const path = file.name.replace(`${process.cwd()}/`, '');
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    if (failedTests.length === 0) return file.message ? [`${path}: ${firstLine(file.message)}`] : [];
    return failedTests.map((t) => `${path} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
  });
}
const results: StepResult[] = [];

results.push(await step('typecheck', async () => {
  const { code } = await run(npx('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  return { ok: code === 0, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
}));

results.push(await step('lint', async () => {
  const { code } = await run(npx('tsx'), ['scripts/lint.ts']);
  return { ok: code === 0, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
}));

if (existsSync('scripts/pgtap.ts')) {
  results.push(await step('pgTAP', async () => {
    const { code, output } = await run(npx('tsx'), ['scripts/pgtap.ts']);
    const total = Number(/Tests=(\d+)/.exec(output)?.[1] ?? 0);
    const failed = [...output.matchAll(/Failed (\d+)\/\d+ subtests/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    const ok = code === 0 && total > 0;
    return { ok, passed: total - failed, failed: ok ? 0 : Math.max(failed, 1) };
  }));
}

results.push(await step('vitest', async () => {
  await mkdir('.tmp', { recursive: true });
  const report = '.tmp/vitest-report.json';
  const { code } = await run(npx('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
  const json = JSON.parse(await readFile(report, 'utf8').catch(() => '{}')) as VitestReport;
  const passed = json.numPassedTests ?? 0;
  const failed = json.numFailedTests ?? (code === 0 ? 0 : 1);
  return { ok: code === 0 && passed > 0, passed, failed: code === 0 ? failed : Math.max(failed, 1), failures: vitestFailures(json) };
}));

results.push(await step('faults', async () => {
  const { code, output } = await run(npx('tsx'), ['test/faults/run.ts', '--ci']);
  const passed = [...output.matchAll(/^ok {3}/gm)].length;
  const failures = [...output.matchAll(/^FAIL (.*)$/gm)].map((m) => m[1] ?? '');
  return { ok: code === 0 && passed > 0 && failures.length === 0, passed, failed: code === 0 ? failures.length : Math.max(failures.length, 1), failures };
}));

console.log('\n=== summary ===');
for (const r of results) {
  console.log(`${r.ok ? 'ok    ' : 'FAILED'} ${r.name.padEnd(10)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed  ${r.seconds} s`);
}
for (const r of results) {
  for (const failure of r.failures ?? []) console.log(`  ${r.name} failed: ${failure}`);
}
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
