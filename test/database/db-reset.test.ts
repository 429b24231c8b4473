// `supabase db reset --db-url` (the pinned CLI) wipes and re-applies everything cleanly on our
// Supabase-compatible Postgres, and the compatibility bootstrap survives it because its schemas are
// owned by supabase_admin. It drops things, so it runs only on a database cloned for this test.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { repoRoot, withDatabase, withSslDisabled } from '../../stack/db/prepare.ts';
import { asUser, createUser } from '../support/postgres.ts';

const run = promisify(execFile);
const TEMPLATE_DATABASE = 'whatsapp_lite_template';
const cloned = inject('postgresCloneTemplate');

let sql: postgres.Sql | undefined;
let dropDatabase: (() => Promise<void>) | undefined;
afterAll(async () => {
  await sql?.end();
  await dropDatabase?.();
});

async function cloneTemplate(): Promise<string> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `reset_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${TEMPLATE_DATABASE}`);
  await admin.end();
  dropDatabase = async () => {
    const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await dropper.unsafe(`drop database if exists ${name} with (force)`).finally(() => dropper.end());
  };
  return withDatabase(adminUrl, name);
}

describe('supabase db reset --db-url', () => {
  it.skipIf(!cloned)('re-applies migrations and seed cleanly, and the bootstrap (auth, realtime, roles) survives', async () => {
    const url = await cloneTemplate();
    sql = postgres(url, { max: 2, onnotice: () => {} });
    const doomed = await createUser(sql);
    await sql`insert into whatsapp_sessions (user_id) values (${doomed})`;

    const { stdout, stderr } = await run(process.execPath, [
      join(repoRoot, 'node_modules/supabase/dist/supabase.js'), 'db', 'reset', '--db-url', withSslDisabled(url), '--yes',
    ], { cwd: repoRoot, env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }, timeout: 120_000 });
    const output = `${stdout}${stderr}`;
    expect(output).toContain('Seeding data from supabase/seed.sql');

    const migrations = (await readdir(join(repoRoot, 'supabase/migrations'))).filter((f) => f.endsWith('.sql')).sort();
    const applied = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
    expect(applied.map((r) => r.version)).toEqual(migrations.map((f) => f.split('_')[0]));

    const schemas = await sql<{ nspname: string; owner: string }[]>`
      select nspname, pg_get_userbyid(nspowner) as owner from pg_namespace
       where nspname in ('auth', 'realtime', 'extensions') order by nspname`;
    expect(schemas).toEqual([
      { nspname: 'auth', owner: 'supabase_admin' },
      { nspname: 'extensions', owner: 'supabase_admin' },
      { nspname: 'realtime', owner: 'supabase_admin' },
    ]);
    const [state] = await sql`select
      to_regprocedure('auth.uid()') is not null as auth_uid,
      to_regclass('realtime.messages') is not null as realtime_messages,
      (select count(*)::int from auth.users where id = ${doomed}) as doomed_user,
      (select count(*)::int from auth.users where email = 'demo@example.com') as demo_user,
      (select count(*)::int from whatsapp_sessions) as sessions,
      (select array_agg(tablename::text order by tablename) from pg_publication_tables
        where pubname = 'supabase_realtime' and schemaname = 'public') as published`;
    expect(state).toEqual({
      auth_uid: true, realtime_messages: true, doomed_user: 0, demo_user: 1, sessions: 0,
      published: ['configuracion_mensajeria_usuario', 'inbound_messages', 'message_reactions', 'outbound_messages', 'session_commands',
        'whatsapp_contacts',
        'whatsapp_sessions'],
    });

    // Grants, RLS and the user API work as before the reset.
    const alice = await createUser(sql);
    const bob = await createUser(sql);
    const session = await asUser(sql, alice, async (tx) => (await tx`select id from request_whatsapp_link()`)[0]!);
    expect(await asUser(sql, bob, (tx) => tx`select id from whatsapp_sessions where id = ${session.id}`)).toHaveLength(0);
    await expect(asUser(sql, null, (tx) => tx`select * from whatsapp_auth_state`)).rejects.toMatchObject({ code: '42501' });
  });
});
