// Ctrl-C in a terminal sends SIGINT to the whole foreground process group (npm, sh, tsx, start.ts), not to
// one pid. `npm run demo` started the way a terminal starts it (its own process group, through npm and tsx,
// with the embedded Postgres, the connector, the simulator, the web dev server and a warmed Deno function),
// then SIGINT to that group: every process it started is gone within the grace period, and Postgres is the
// last of them to stop.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../stack/db/free-port.ts';
import { alive, descendants } from '../support/process-tree.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dataDir: string;

beforeAll(async () => {
  // mkdtemp makes a 0700 folder, like `mktemp -d`: as root the postgres user must still reach its data.
  dataDir = await mkdtemp(join(tmpdir(), 'wl-cli-int-'));
  await mkdir(join(root, '.data', 'deno'), { recursive: true });
  await symlink(join(root, '.data', 'deno'), join(dataDir, 'deno')); // no downloads: the repo's Deno cache
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(Boolean(process.env.SUPABASE_URL) || Boolean(process.env.DATABASE_URL) || process.platform !== 'linux')('Ctrl-C on npm run demo', () => {
  it('SIGINT to the process group stops every child, Postgres last', async () => {
    const webPort = await findFreePort();
    const npm = spawn('npm', ['run', 'demo', '--', '--fresh'], {
      cwd: root,
      detached: true, // its own process group, as a terminal's foreground job
      env: { ...process.env, STACK_PORT: '0', STACK_DB_PORT: '0', WEB_PORT: String(webPort), STACK_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    let output = '';
    npm.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await new Promise<void>((resolve, reject) => {
      npm.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ctrl-C stops everything')) resolve();
      });
      void exited.then((code) => reject(new Error(`npm run demo exited early (${code}):\n${output.slice(-3000)}`)));
    });
    const url = /API URL\s+(\S+)/.exec(output)![1]!;
    expect((await fetch(`${url}/functions/v1/whatsapp/health`)).status).toBe(200); // Deno is running
    if (process.getuid?.() === 0) expect((await stat(dataDir)).mode & 0o001).toBe(0o001);

    // Everything it started, found by parentage; the chain npm → … → start.ts waits for the rest by design.
    const tree = await descendants(npm.pid!);
    const postmaster = tree.find((p) => / -D \S*postgres /.test(`${p.cmd} `) && /bin\/postgres/.test(p.cmd));
    expect(postmaster, tree.map((p) => p.cmd).join('\n')).toBeDefined();
    for (const part of ['connector/main.ts', 'test/sim/cli.ts', 'vite', 'deno']) {
      expect(tree.some((p) => p.cmd.includes(part)), `${part} running:\n${tree.map((p) => p.cmd).join('\n')}`).toBe(true);
    }
    const gone = new Map<number, number>();
    const signalledAt = Date.now();
    process.kill(-npm.pid!, 'SIGINT');
    const deadline = signalledAt + 45_000; // connector grace 25 s + the others' 5 s, well inside
    while (gone.size < tree.length && Date.now() < deadline) {
      for (const p of tree) if (!gone.has(p.pid) && !(await alive(p))) gone.set(p.pid, Date.now());
      await new Promise((r) => setTimeout(r, 20));
    }
    const left = tree.filter((p) => !gone.has(p.pid));
    // Do not leave them running for the next test if this one fails.
    for (const p of left) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    expect(left.map((p) => p.cmd), output.slice(-3000)).toEqual([]);

    // The chain npm → sh → tsx → start.ts (the postmaster's ancestors) waits for the others: not compared.
    const byPid = new Map(tree.map((p) => [p.pid, p]));
    const chain = new Set<number>();
    for (let p = byPid.get(postmaster!.ppid); p; p = byPid.get(p.ppid)) chain.add(p.pid);
    const others = tree.filter((p) => !chain.has(p.pid) && p.pid !== postmaster!.pid && p.ppid !== postmaster!.pid);
    const lastOther = Math.max(...others.map((p) => gone.get(p.pid)!));
    expect(gone.get(postmaster!.pid)!, 'Postgres stopped after every other child').toBeGreaterThanOrEqual(lastOther);
    // npm itself dies of the SIGINT at once (its own behaviour for every script); start.ts shut down in order.
    await exited;
    expect(output).not.toMatch(/forced exit|shutdown failed|npm start failed/);
  }, 240_000);
});
