// `npm start`: the local Supabase-compatible stack, then (when present) the connector and the web
// app as child processes; `npm run demo` adds the offline WhatsApp simulator. Ctrl-C stops all.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { repoRoot } from '../db/prepare.ts';
import { startStack, type RunningStack } from '../index.ts';
import { PostgresUnreachableError } from '../db/postgres-user.ts';
import { startChild, type RunningChild } from './children.ts';
import { parseStartConfig, USAGE, type StartConfig } from './config.ts';

const TSX = join(repoRoot, 'node_modules', '.bin', 'tsx');
const VITE = join(repoRoot, 'node_modules', '.bin', 'vite');

let config: Readonly<StartConfig>;
try {
  config = parseStartConfig(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(64);
}
const DATA_DIR = config.dataDir ?? join(repoRoot, '.data');
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const logger = pino({ level: config.logLevel, transport: undefined });
const children: RunningChild[] = [];
let stack: RunningStack | undefined;
let stopping: Promise<void> | undefined;

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'stopping everything');
  // Connector first (it drains its sockets), then the rest; the stack (and Postgres) last.
  for (const child of [...children].reverse()) await child.stop(child.name === 'connector' ? 25_000 : 5_000);
  await stack?.stop();
}

let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Never removeAllListeners here: under `tsx` (npm start) that removes tsx's hidden handler that tells its
  // parent the signal is handled, and the parent then SIGKILLs this process 60 ms later (exit 130), leaving
  // every child behind. Every child and Postgres run in their own process groups, so a terminal's Ctrl-C
  // reaches only this process (and its npm/tsx parents): the shutdown below stops them, Postgres last.
  process.on(signal, () => {
    if (stopping) {
      // Ctrl-C reaches this process up to three times (the terminal's group, tsx and npm forwarding it).
      if (Date.now() - firstSignalAt < 1_000) return;
      process.stderr.write('forced exit: child processes may be left behind\n');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    stopping = shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  // --fresh: a new database (and no Storage files or simulated phones of the old one); the Deno npm cache
  // (.data/deno) is kept.
  if (config.fresh) {
    await rm(join(DATA_DIR, 'postgres'), { recursive: true, force: true });
    await rm(join(DATA_DIR, 'storage'), { recursive: true, force: true });
    await rm(join(DATA_DIR, 'simulator'), { recursive: true, force: true });
  }
  await mkdir(DATA_DIR, { recursive: true });
  await letPostgresUserPass(DATA_DIR);
  stack = await startStack({
    port: config.gatewayPort,
    dbPort: config.dbPort,
    databaseUrl: config.databaseUrl,
    dataDir: join(DATA_DIR, 'postgres'),
    denoDir: join(DATA_DIR, 'deno'),
    persistent: true,
    storageDir: join(DATA_DIR, 'storage'),
    // One ES256 key kept with the data, so signed-in browsers stay signed in across restarts.
    signingKeysPath: join(DATA_DIR, 'signing-keys.json'),
    logger,
  });
  const readyMs = Date.now() - startedAt;
  warmFunctions(stack);

  let simulator: { url: string; rootPublicKeyBase64: string; controlUrl: string } | undefined;
  if (config.demo) simulator = await startSimulator();
  if (config.connector && existsSync(join(repoRoot, 'connector', 'main.ts'))) {
    children.push(startChild({
      name: 'connector',
      command: TSX,
      args: ['connector/main.ts'],
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        SUPABASE_URL: stack.url,
        SUPABASE_SECRET_KEY: stack.secretKey,
        AUTH_STATE_ENCRYPTION_KEY: process.env.AUTH_STATE_ENCRYPTION_KEY ?? (await localEncryptionKey()),
        LOG_LEVEL: config.logLevel,
        ...(simulator ? { WA_WEBSOCKET_URL: simulator.url, WA_SIM_ROOT_KEY: simulator.rootPublicKeyBase64 } : {}),
      },
    }, logger));
  }
  let webUrl: string | undefined;
  if (config.web && existsSync(join(repoRoot, 'web', 'vite.config.ts'))) {
    webUrl = `http://127.0.0.1:${config.webPort}`;
    children.push(startChild({
      name: 'web',
      command: VITE,
      args: ['--config', join(repoRoot, 'web', 'vite.config.ts'), '--host', '127.0.0.1', '--port', String(config.webPort), '--strictPort'],
      cwd: join(repoRoot, 'web'),
      env: { ...process.env, VITE_SUPABASE_URL: stack.url, VITE_SUPABASE_PUBLISHABLE_KEY: stack.publishableKey },
    }, logger));
  }
  await writeSummary(stack, webUrl, simulator?.controlUrl);
  printBanner(stack, readyMs, webUrl, simulator?.controlUrl);
}

/**
 * As root, Postgres runs as the `postgres` user and must pass through the data folder to its `postgres`
 * subfolder: a STACK_DATA_DIR made by `mktemp -d` (0700) stopped initdb with EACCES. The folder belongs
 * to the stack, so it gets o+x (enter, not list); folders above it are the user's (a clear error if shut).
 */
async function letPostgresUserPass(dir: string): Promise<void> {
  if (process.getuid?.() !== 0 || config.databaseUrl) return;
  const mode = (await stat(dir)).mode & 0o777;
  if (mode & 0o001) return;
  await chmod(dir, mode | 0o001);
  logger.info({ dir, mode: (mode | 0o001).toString(8) }, 'data folder opened for the postgres user (o+x)');
}

/**
 * Starts each Edge Function in the background (the first run downloads npm packages into the Deno cache).
 * A preflight (OPTIONS) with the publishable key: it boots the function whatever its verify_jwt, needing no JWT.
 */
function warmFunctions(running: RunningStack): void {
  for (const name of running.functions) {
    fetch(`${running.url}/functions/v1/${name}`, { method: 'OPTIONS', headers: { apikey: running.publishableKey } })
      .then((res) => res.body?.cancel())
      .catch((error: unknown) => {
        if (!stopping) logger.warn({ err: error, function: name }, 'could not warm function');
      });
  }
}

/** The offline WhatsApp simulator (test/sim/cli.ts) for `npm run demo`; prints one JSON line when ready. */
async function startSimulator(): Promise<{ url: string; rootPublicKeyBase64: string; controlUrl: string } | undefined> {
  if (!existsSync(join(repoRoot, 'test', 'sim', 'cli.ts'))) {
    logger.warn('--demo: test/sim/cli.ts not found; starting without the simulator');
    return undefined;
  }
  // Its phones and linked devices live in the data folder, as WhatsApp's servers keep a linked device: a restarted
  // demo reconnects its session without a new QR (issue 16 item 4).
  const env = { ...process.env, WA_SIM_STATE_FILE: join(DATA_DIR, 'simulator', 'state.json') };
  const sim = startChild({ name: 'simulator', command: TSX, args: ['test/sim/cli.ts'], cwd: repoRoot, env }, logger);
  children.push(sim);
  return new Promise((resolve) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const line = buffer.split('\n').find((l) => l.trim().startsWith('{'));
      if (!line) return;
      sim.child.stdout?.off('data', onData);
      resolve(JSON.parse(line) as { url: string; rootPublicKeyBase64: string; controlUrl: string });
    };
    sim.child.stdout?.on('data', onData);
    void sim.exited.then(() => resolve(undefined));
  });
}

/** A stable local key for the connector's encrypted auth state, kept in .data/ (git-ignored). */
async function localEncryptionKey(): Promise<string> {
  const path = join(DATA_DIR, 'auth-state.key');
  const existing = await readFile(path, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const key = randomBytes(32).toString('base64');
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  return key;
}

async function writeSummary(running: RunningStack, webUrl: string | undefined, simulatorControl: string | undefined): Promise<void> {
  const lines = [
    '# Written by `npm start` (local development values; the same as `supabase start`).',
    `SUPABASE_URL=${running.url}`,
    `SUPABASE_PUBLISHABLE_KEY=${running.publishableKey}`,
    `SUPABASE_SECRET_KEY=${running.secretKey}`,
    '# Legacy JWT-based keys (being retired by Supabase at the end of 2026):',
    `SUPABASE_ANON_KEY=${running.anonKey}`,
    `SUPABASE_SERVICE_ROLE_KEY=${running.serviceRoleKey}`,
    `SUPABASE_JWT_SECRET=${running.jwtSecret}`,
    `DATABASE_URL=${running.databaseUrl}`,
    `VITE_SUPABASE_URL=${running.url}`,
    `VITE_SUPABASE_PUBLISHABLE_KEY=${running.publishableKey}`,
    ...(webUrl ? [`WEB_URL=${webUrl}`] : []),
    ...(simulatorControl ? [`WA_SIM_CONTROL_URL=${simulatorControl}`] : []),
  ];
  await writeFile(join(DATA_DIR, 'stack.env'), `${lines.join('\n')}\n`);
}

function printBanner(running: RunningStack, readyMs: number, webUrl: string | undefined, simulatorControl: string | undefined): void {
  const rows: [string, string][] = [
    ['API URL', running.url],
    ['REST URL', `${running.url}/rest/v1`],
    ['Auth URL', `${running.url}/auth/v1`],
    ['Functions URL', `${running.url}/functions/v1${running.functions.length ? ` (${running.functions.join(', ')})` : ''}`],
    ['Realtime URL', running.realtime ? `${running.url.replace(/^http/, 'ws')}/realtime/v1/websocket` : '(not available)'],
    ['DB URL', running.databaseUrl],
    ['Web app', webUrl ?? '(not started)'],
    ...(simulatorControl ? ([['Simulator control', simulatorControl]] as [string, string][]) : []),
    ['Publishable key', running.publishableKey],
    ['Secret key', running.secretKey],
    ['JWKS', `${running.url}/auth/v1/.well-known/jwks.json (${running.jwtKeys.algorithm})`],
    ['anon key (legacy)', running.anonKey],
    ['service_role key (legacy)', running.serviceRoleKey],
    ['JWT secret (legacy)', running.jwtSecret],
    ['Demo login', 'demo@example.com / demo-password-123'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(
    `\nLocal development stack ready in ${(readyMs / 1000).toFixed(1)} s (a development stack; production runs on Supabase).\n\n` +
      rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n') +
      `\n\n  Values also in ${join(DATA_DIR, 'stack.env')}. Ctrl-C stops everything.\n` +
      (simulatorControl
        ? '  Simulated phone: sign in, press "Connect WhatsApp", then run `npm run demo:phone -- scan`;\n' +
          '  a contact writes to you with `npm run demo:phone -- say "Hello"`.\n\n'
        : '\n'),
  );
}

main().catch(async (error: unknown) => {
  if (error instanceof PostgresUnreachableError) process.stderr.write(`${error.message}\n`);
  else logger.error({ err: error }, 'npm start failed');
  if (!stopping) await shutdown('error').catch(() => {});
  process.exit(1);
});
