// Per-file databases for tests. Use from a test file:
//   const db = await createTestDatabase();   // { url, sql, drop() }
// Each call clones the prepared template (bootstrap + migrations + seed already applied).
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { withDatabase } from '../../stack/db/prepare.ts';

const TEMPLATE_DATABASE = 'whatsapp_lite_template';

export interface TestDatabase {
  /** Superuser connection string to this test's own database. */
  url: string;
  /** A superuser `postgres` client on it (bypasses RLS: arrange data with it, assert with user clients). */
  sql: postgres.Sql;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  if (!inject('postgresCloneTemplate')) {
    const sql = postgres(adminUrl, { onnotice: () => {} });
    return { url: adminUrl, sql, drop: () => sql.end() };
  }
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    // file_copy, not PostgreSQL 15's default wal_log: wal_log writes the whole template into the WAL
    // (4.7 MB per clone, measured), which every logical-replication stream of the server (each test
    // stack's Realtime) must decode, delaying postgres_changes for all files running at the same time.
    await admin.unsafe(`create database ${name} template ${TEMPLATE_DATABASE} strategy file_copy`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const sql = postgres(url, { onnotice: () => {} });
  return {
    url,
    sql,
    async drop() {
      await sql.end();
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** Inserts a user into auth.users (as the Auth server would) and returns its id. */
export async function createUser(sql: postgres.Sql, email = `user-${randomBytes(4).toString('hex')}@test.local`) {
  const [row] = await sql<{ id: string }[]>`
    insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, email_confirmed_at)
    values (gen_random_uuid(), ${email}, 'authenticated', 'authenticated', '{}', '{}', now())
    returning id`;
  return row!.id;
}

/** Runs `fn` in a transaction as `role` with the JWT claims Supabase would set for `userId`. */
export async function asUser<T>(
  sql: postgres.Sql,
  userId: string | null,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
  role: 'authenticated' | 'anon' = userId ? 'authenticated' : 'anon',
): Promise<T> {
  return (await sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${role}`);
    const claims = userId ? { sub: userId, role } : { role };
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    return fn(tx);
  })) as T;
}
