// `npm start` (stack/cli/start.ts) as a user runs it: it serves, prints the keys and the demo login,
// writes stack.env, keeps the Deno cache under STACK_DATA_DIR, and Ctrl-C (SIGINT) stops it with exit
// code 0, leaving no process behind (including the Deno function it warmed up).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let db: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'wl-cli-'));
  // The function's npm packages are cached under STACK_DATA_DIR/deno: point that at the repo's cache so
  // this test downloads nothing (the path Deno is given is what the test checks).
  await mkdir(join(root, '.data', 'deno'), { recursive: true });
  await symlink(join(root, '.data', 'deno'), join(dataDir, 'deno'));
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Processes whose environment carries this SUPABASE_URL (the Deno functions get it), with that environment. */
async function processesWith(url: string): Promise<{ pid: number; env: string[] }[]> {
  const found: { pid: number; env: string[] }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    const env = (await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '')).split('\0');
    if (env.includes(`SUPABASE_URL=${url}`)) found.push({ pid: Number(entry), env });
  }
  return found;
}

describe.skipIf(Boolean(process.env.SUPABASE_URL) || process.platform !== 'linux')('npm start', () => {
  it('serves, prints URLs, keys and the demo login, and stops cleanly on SIGINT', async () => {
    // node --import tsx: the process npm start runs (the tsx wrapper itself reports Ctrl-C as 130).
    const child = spawn(process.execPath, ['--import', 'tsx', 'stack/cli/start.ts', '--no-web', '--no-connector'], {
      cwd: root,
      env: { ...process.env, STACK_PORT: '0', STACK_DB_PORT: '0', DATABASE_URL: db.url, STACK_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ctrl-C stops everything')) resolve();
      });
      void exited.then((code) => reject(new Error(`npm start exited early (${code}):\n${output}`)));
    });
    const url = /API URL\s+(\S+)/.exec(output)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(output).toContain('demo@example.com / demo-password-123');
    expect(output).toContain('sb_publishable_');
    expect(await readFile(join(dataDir, 'stack.env'), 'utf8')).toContain(`SUPABASE_URL=${url}`);

    const publishableKey = /Publishable key\s+(\S+)/.exec(output)![1]!;
    const rest = await fetch(`${url}/rest/v1/whatsapp_sessions?select=id`, { headers: { apikey: publishableKey } });
    expect(rest.status).toBe(401); // anon has no grant: the API answered
    const health = await fetch(`${url}/functions/v1/whatsapp/health`);
    expect(health.status).toBe(200); // the Deno function is running now
    const deno = await processesWith(url!);
    expect(deno.length).toBeGreaterThan(0);
    for (const p of deno) expect(p.env).toContain(`DENO_DIR=${join(dataDir, 'deno')}`);

    child.kill('SIGINT');
    const code = await exited;
    expect(code, output.slice(-3000)).toBe(0);
    expect(await processesWith(url!)).toEqual([]);
  }, 240_000);
});
