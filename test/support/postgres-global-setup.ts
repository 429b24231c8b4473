// vitest globalSetup: one real Postgres per test run, prepared once (bootstrap, migrations, seed) as a
// template database; each test file clones its own database from it in milliseconds.
// With DATABASE_URL set (e.g. the database of `supabase start`), that database is used as is.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type RunningPostgres } from '../../stack/db/embedded.ts';
import { prepareDatabase, withDatabase } from '../../stack/db/prepare.ts';

export const TEMPLATE_DATABASE = 'whatsapp_lite_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the server (database `postgres`), or the external DATABASE_URL. */
    postgresAdminUrl: string;
    /** true when every test file gets a clone of the template database. */
    postgresCloneTemplate: boolean;
  }
}

let running: RunningPostgres | undefined;

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('postgresAdminUrl', external);
    project.provide('postgresCloneTemplate', false);
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'wl-test-pg-'));
  running = await startEmbeddedPostgres({ dataDir });
  const admin = postgres(running.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
  await admin.end();
  await prepareDatabase(withDatabase(running.url, TEMPLATE_DATABASE));
  project.provide('postgresAdminUrl', running.url);
  project.provide('postgresCloneTemplate', true);
  return async () => {
    await running?.stop();
  };
}
