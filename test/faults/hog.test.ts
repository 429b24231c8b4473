// The fault suite's --hog processes never outlive it: stopped by pid, and gone by themselves when the
// suite is SIGKILLed (they notice they were reparented).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CpuHog } from './hog.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('fault suite CPU hogs', () => {
  it('spin while running and are gone after stop()', async () => {
    const hog = new CpuHog(2);
    const pids = hog.pids;
    expect(pids).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(pids.every(alive)).toBe(true);
    hog.stop();
    await expect.poll(() => pids.some(alive), { timeout: 10_000 }).toBe(false);
  });

  it('exit by themselves when the suite that started them is SIGKILLed', async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const script = `import { CpuHog } from ${JSON.stringify(join(here, 'hog.ts'))}; const h = new CpuHog(2); console.log(h.pids.join(',')); setInterval(() => {}, 1000);`;
    const suite = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pids = await new Promise<number[]>((resolve) => suite.stdout.once('data', (d: Buffer) => resolve(String(d).trim().split(',').map(Number))));
    expect(pids.every(alive)).toBe(true);
    suite.kill('SIGKILL');
    await expect.poll(() => pids.some(alive), { timeout: 20_000 }).toBe(false);
  }, 30_000);
});
