// consume_api_rate_limit(): the per-user counter the `whatsapp` Edge Function uses, checked in real Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, createTestDatabase, createUser, type TestDatabase } from '../support/postgres.ts';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

type Verdict = { allowed: boolean; retry_after_seconds: number };
const consume = (userId: string | null, bucket: string, limit: number, window = '1 hour') =>
  asUser(db.sql, userId, async (tx) =>
    (await tx<Verdict[]>`select * from consume_api_rate_limit(${bucket}, ${limit}, ${window}::interval)`)[0]!);

describe('consume_api_rate_limit', () => {
  it('allows p_limit requests per window, then refuses with a retry-after inside the window', async () => {
    const user = await createUser(db.sql);
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await consume(user, 'messages', 3));
    expect(verdicts.slice(0, 3).every((v) => v.allowed && v.retry_after_seconds === 0)).toBe(true);
    expect(verdicts[3]!.allowed).toBe(false);
    expect(verdicts[3]!.retry_after_seconds).toBeGreaterThanOrEqual(1);
    expect(verdicts[3]!.retry_after_seconds).toBeLessThanOrEqual(3600);
  });

  it('counts each user and each bucket separately', async () => {
    const alice = await createUser(db.sql);
    const bob = await createUser(db.sql);
    expect((await consume(alice, 'sessions', 1)).allowed).toBe(true);
    expect((await consume(alice, 'sessions', 1)).allowed).toBe(false);
    expect((await consume(bob, 'sessions', 1)).allowed).toBe(true);
    expect((await consume(alice, 'messages', 1)).allowed).toBe(true);
  });

  it('refuses anonymous callers (42501) and bad arguments (WL422)', async () => {
    await expect(consume(null, 'messages', 1)).rejects.toMatchObject({ code: '42501' });
    const user = await createUser(db.sql);
    await expect(consume(user, 'messages', 0)).rejects.toMatchObject({ code: 'WL422' });
    await expect(consume(user, 'Bad Bucket', 1)).rejects.toMatchObject({ code: 'WL422' });
    await expect(consume(user, 'messages', 1, '0 seconds')).rejects.toMatchObject({ code: 'WL422' });
  });

  it('keeps the counters private: users can neither read nor write the table', async () => {
    const user = await createUser(db.sql);
    await consume(user, 'messages', 5);
    await expect(asUser(db.sql, user, (tx) => tx`select * from api_rate_limits`)).rejects.toMatchObject({ code: '42501' });
    await expect(asUser(db.sql, user, (tx) => tx`delete from api_rate_limits`)).rejects.toMatchObject({ code: '42501' });
    const [row] = await db.sql<{ hits: number }[]>`select hits from api_rate_limits where user_id = ${user}`;
    expect(row?.hits).toBe(1);
  });

  it('keeps only the current window of a user and bucket', async () => {
    const user = await createUser(db.sql);
    await db.sql`insert into api_rate_limits (user_id, bucket, window_start, hits)
                 values (${user}, 'messages', now() - interval '2 hours', 99)`;
    expect((await consume(user, 'messages', 1)).allowed).toBe(true);
    const rows = await db.sql`select 1 from api_rate_limits where user_id = ${user}`;
    expect(rows).toHaveLength(1);
  });
});
