// The database step of deploying onto a Supabase project created today (README "Deploy"): the migrations
// pushed with the pinned CLI (`supabase db push --db-url`, supabase@2.117.0, no Docker) onto a fresh,
// empty database prepared like a new project (the Supabase roles and schemas, no default privileges:
// stack/db/supabase-compat.sql), then the role test (90-api-grants) run against what the push left, then
// the connector host step: `connector/main.ts` as its own process, configured by environment variables
// only, against that database, sends a queued message to the simulator (Realtime and Storage, which need
// the stack, are covered by the connector-doorbell and connector-media-* tests).
// What cannot run here (a hosted project, `supabase link`, `secrets set`, `functions deploy`) is listed
// in the README.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { installPgtap } from '../../scripts/pgtap.ts';
import { applyBootstrap, withDatabase, withSslDisabled } from '../../stack/db/prepare.ts';
import { connectorEnv, createLinkedSession, deliveryReport, queueText, randomPhone, startSimulator, waitFor } from './connector-support.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = `${root}node_modules/supabase/dist/supabase.js`;
const run = promisify(execFile);
const name = `push_${randomBytes(6).toString('hex')}`;
let url: string;

function pgProve(file: string): Promise<{ code: number; output: string }> {
  const parsed = new URL(url);
  const env = { ...process.env, PGHOST: parsed.hostname, PGPORT: parsed.port, PGUSER: decodeURIComponent(parsed.username),
    PGPASSWORD: decodeURIComponent(parsed.password), PGDATABASE: name, PGSSLMODE: 'disable' };
  return new Promise((resolve, reject) => {
    const child = spawn('pg_prove', ['--failures', file], { cwd: root, env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

beforeAll(async () => {
  const admin = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  url = withDatabase(inject('postgresAdminUrl'), name);
  expect(await applyBootstrap(url)).toBe('applied');
}, 120_000);
afterAll(async () => {
  const admin = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
});

describe('supabase db push --db-url onto a fresh project database', () => {
  it('applies every migration, records them, and the role test passes on the result', async () => {
    const env = { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
    const migrations = (await readdir(`${root}supabase/migrations`)).filter((file) => file.endsWith('.sql')).sort();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      // A project created today: what postgres (the migrations' role) creates in public is granted to no API role.
      const [defaults] = await sql<{ n: number }[]>`
        select count(*)::int as n
        from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
        where n.nspname = 'public' and d.defaclrole = 'postgres'::regrole
          and a.grantee in ('anon'::regrole, 'authenticated'::regrole, 'service_role'::regrole)`;
      expect(defaults!.n).toBe(0);

      const pushed = await run(process.execPath, [cli, 'db', 'push', '--db-url', withSslDisabled(url), '--yes'], { cwd: root, env, maxBuffer: 16 * 1024 * 1024 });
      const output = `${pushed.stdout}${pushed.stderr}`;
      for (const file of migrations) expect(output).toContain(file);

      const recorded = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
      expect(recorded.map((row) => row.version)).toEqual(migrations.map((file) => file.split('_')[0]));
      const again = await run(process.execPath, [cli, 'db', 'push', '--db-url', withSslDisabled(url), '--yes'], { cwd: root, env });
      expect(`${again.stdout}${again.stderr}`).toMatch(/up to date/i);
    } finally {
      await sql.end();
    }

    await installPgtap(url);
    const grants = await pgProve('supabase/tests/database/90-api-grants.test.sql');
    expect(grants.code, grants.output).toBe(0);
    expect(grants.output).toMatch(/Result: PASS/);
  }, 300_000);

  it('the connector, from environment variables only, runs against the pushed database and sends a queued message', async () => {
    const sim = await startSimulator();
    const sql = postgres(url, { onnotice: () => {} });
    const db = { url, sql, drop: () => sql.end() };
    let child: ChildProcess | undefined;
    try {
      // Nothing but the environment: PATH/HOME for node itself, and the connector's own variables.
      const host = Object.fromEntries(['PATH', 'HOME'].flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
      const env = { ...host, ...connectorEnv(db, sim, { LOG_LEVEL: 'warn' }) };
      child = spawn(process.execPath, ['--import', 'tsx', 'connector/main.ts'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
      const session = await createLinkedSession(db, sim);
      const contact = await randomPhone();
      const row = await queueText(db, session, contact, 'hello from a project created today');
      const delivered = await waitFor(async () => sim.contact(contact).received().some((m) => m.text === 'hello from a project created today'),
        'the message delivered', 90_000).catch(async (error: Error) => { throw new Error(`${error.message}\n${await deliveryReport(db, sim, contact)}`); });
      expect(delivered).toBe(true);
      const status = await waitFor(async () => {
        const [sent] = await sql<{ status: string }[]>`select status::text from outbound_messages where id = ${row.id}`;
        return sent && !['queued', 'sending'].includes(sent.status) ? sent.status : null;
      }, 'the row past queued/sending', 30_000);
      expect(['sent', 'delivered', 'read']).toContain(status);
      expect(child.exitCode).toBeNull();
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => { child!.once('exit', resolve); child!.kill('SIGTERM'); });
      }
      await sql.end();
      await sim.stop();
    }
  }, 180_000);
});
