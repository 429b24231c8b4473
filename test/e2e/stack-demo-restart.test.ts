// Issue 16 item 4: restarting `npm run demo` turned the demo session into logged_out (401), because the simulator
// kept its devices in memory. The demo is started as a newcomer starts it (npm run demo -- --fresh, its own data
// folder), the demo user links the simulated phone with `npm run demo:phone -- scan`, the demo is stopped with
// Ctrl-C and started again without --fresh: the session comes back connected without ever showing a QR, and a
// contact's message still decrypts (the phone's Signal sessions survived too). --fresh forgets the phone.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../stack/db/free-port.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dataDir: string;
let running: ChildProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wl-demo-restart-'));
  await mkdir(join(root, '.data', 'deno'), { recursive: true });
  await symlink(join(root, '.data', 'deno'), join(dataDir, 'deno')); // no downloads: the repo's Deno cache
});
afterAll(async () => {
  if (running?.pid && running.exitCode === null && running.signalCode === null) await stopDemo(running);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const env = async () => Object.fromEntries((await readFile(join(dataDir, 'stack.env'), 'utf8')).split('\n')
  .filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

async function startDemo(args: string[]): Promise<ChildProcess> {
  const webPort = await findFreePort();
  const npm = spawn('npm', ['run', 'demo', '--', ...args], {
    cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STACK_PORT: '0', STACK_DB_PORT: '0', WEB_PORT: String(webPort), STACK_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  });
  running = npm;
  let output = '';
  npm.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  await new Promise<void>((resolve, reject) => {
    npm.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      if (output.includes('Ctrl-C stops everything')) resolve();
    });
    npm.once('exit', (code) => reject(new Error(`npm run demo exited early (${code}):\n${output.slice(-3000)}`)));
  });
  return npm;
}

async function stopDemo(npm: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => npm.once('exit', resolve));
  process.kill(-npm.pid!, 'SIGINT'); // a terminal's Ctrl-C
  await exited;
  // start.ts (behind npm) stops its children in order; wait until the data folder's Postgres is gone too
  const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
  for (let i = 0; i < 600 && (await stat(pidFile).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
}

function demoPhone(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'demo:phone', '--', ...args], { cwd: root, env: { ...process.env, STACK_DATA_DIR: dataDir } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`demo:phone ${args.join(' ')} (${code}): ${out}`))));
  });
}

type Row = { status: string; qr: string | null; last_disconnect_code: number | null; connected_at: Date | null };

describe.skipIf(Boolean(process.env.SUPABASE_URL) || Boolean(process.env.DATABASE_URL) || process.platform !== 'linux')('npm run demo restarted', () => {
  it('keeps the linked phone: the session reconnects without a QR and messages still decrypt; --fresh forgets it', async () => {
    let npm = await startDemo(['--fresh']);
    let e = await env();
    const demo = createClient(e.SUPABASE_URL!, e.SUPABASE_ANON_KEY!, { auth: { persistSession: false }, realtime: { transport: WebSocket as never } });
    expect((await demo.auth.signInWithPassword({ email: 'demo@example.com', password: 'demo-password-123' })).error).toBeNull();
    const { data: session, error } = await demo.rpc('request_whatsapp_link', { p_link_method: 'qr' });
    expect(error).toBeNull();
    const sessionId = (session as { id: string }).id;
    let sql = postgres(e.DATABASE_URL!, { max: 1, onnotice: () => {} });
    const row = async () => (await sql<Row[]>`select status, qr, last_disconnect_code, connected_at from whatsapp_sessions where id = ${sessionId}`)[0]!;
    await expect.poll(async () => (await row()).status, { timeout: 90_000, interval: 200 }).toBe('qr');
    await demoPhone('scan');
    await expect.poll(async () => (await row()).status, { timeout: 60_000, interval: 200 }).toBe('connected');
    await sql.end();
    await stopDemo(npm);

    const restartedAt = Date.now();
    npm = await startDemo([]);
    e = await env();
    sql = postgres(e.DATABASE_URL!, { max: 1, onnotice: () => {} });
    const seen: Row[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const r = await row();
      seen.push(r);
      if (r.status === 'connected' && r.connected_at && r.connected_at.getTime() > restartedAt) break; // connected again
      if (r.status === 'logged_out' || r.qr) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const last = seen.at(-1)!;
    expect(last, JSON.stringify(seen.slice(-5))).toMatchObject({ status: 'connected', qr: null });
    expect(last.connected_at!.getTime()).toBeGreaterThan(restartedAt);
    expect(seen.filter((r) => r.qr !== null || r.status === 'qr' || r.status === 'logged_out'), 'no QR, never logged out').toEqual([]);

    expect(await stat(join(dataDir, 'simulator', 'state.json')).then((s) => s.size > 0)).toBe(true);
    await demoPhone('say', 'still there after a restart?');
    await expect.poll(async () => (await sql`select text from inbound_messages where session_id = ${sessionId} and not from_me`).map((m) => m.text),
      { timeout: 60_000, interval: 250 }).toContain('still there after a restart?');
    await sql.end();
    await stopDemo(npm);

    // --fresh: a new database and new phones
    npm = await startDemo(['--fresh']);
    e = await env();
    sql = postgres(e.DATABASE_URL!, { max: 1, onnotice: () => {} });
    expect(await sql`select 1 from whatsapp_sessions where id = ${sessionId}`).toHaveLength(0);
    await sql.end();
    const state = JSON.parse(await readFile(join(dataDir, 'simulator', 'state.json'), 'utf8')) as { users: unknown[] };
    expect(state.users).toEqual([]);
    await stopDemo(npm);
  }, 600_000);
});
