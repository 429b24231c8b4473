// Prints what PUBLIC, anon, authenticated and service_role hold on each object in public, as the
// migrations leave it, in the form of the expected list in supabase/tests/database/90-api-grants.test.sql
// (it runs that file's own query, between its "api-grants query" markers):
//   npx tsx scripts/api-grants.ts            a throwaway embedded Postgres, bootstrap + migrations
//   DATABASE_URL=… npx tsx scripts/api-grants.ts   an existing database, as it is
// Paste the lines into the test and read each one you add: nothing more than the role needs.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../stack/db/embedded.ts';
import { prepareDatabase, repoRoot } from '../stack/db/prepare.ts';
import { runMain } from './run-main.ts';

const TEST_PATH = join(repoRoot, 'supabase/tests/database/90-api-grants.test.sql');
const START = '-- api-grants query: start';
const END = '-- api-grants query: end';

interface GrantLine { object: string; role: string; privileges: string }

/** The test file's query (temporary views public_objects, api_grant_rows, api_grant_list). */
export async function grantQuery(): Promise<string> {
  const text = await readFile(TEST_PATH, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${TEST_PATH} lost its "${START}" / "${END}" markers`);
  return text.slice(text.indexOf('\n', start) + 1, end);
}

/** The grants as they are in the database at `url`, one line per object and role. */
export async function listGrants(url: string): Promise<GrantLine[]> {
  const query = await grantQuery();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // Temporary views: they end with this connection.
    return await sql.begin(async (tx) => {
      await tx.unsafe(query);
      return await tx.unsafe<GrantLine[]>(
        `select object, role, privileges from api_grant_list order by
           case split_part(object, ' ', 1) when 'table' then 0 when 'view' then 1 when 'sequence' then 2 else 3 end,
           object, role`);
    });
  } finally {
    await sql.end();
  }
}

/** The lines as the test's `insert into expected_grants … values` writes them. */
export function formatGrantLines(lines: GrantLine[]): string {
  const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;
  return lines.map((line, index) =>
    `    (${quote(line.object)}, ${quote(line.role)}, ${quote(line.privileges)})${index === lines.length - 1 ? ';' : ','}`,
  ).join('\n');
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (url) {
    console.log(formatGrantLines(await listGrants(url)));
    return;
  }
  const server = await startEmbeddedPostgres({ dataDir: await mkdtemp(join(tmpdir(), 'wl-grants-')) });
  try {
    await prepareDatabase(server.url, { seed: false });
    console.log(formatGrantLines(await listGrants(server.url)));
  } finally {
    await server.stop();
  }
}

runMain(import.meta.url, main);
