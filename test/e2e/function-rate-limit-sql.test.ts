// consume_api_rate_limit(): the per-user counter the `whatsapp` Edge Function uses, checked in real Postgres.
// Only the service role may call it (the function does, with the secret key, for the user it verified):
// issue 16 item 9a, a user calling it with a 1-second window deleted their own current 60-second window and
// the count started again. Item 11: rows of windows that ended are pruned, whatever their length.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, createTestDatabase, createUser, type TestDatabase } from '../support/postgres.ts';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

type Verdict = { allowed: boolean; retry_after_seconds: number };
/** As the function calls it: the service role (the secret key), for a given user. */
const consume = (userId: string | null, bucket: string, limit: number, windowSeconds = 3600) =>
  db.sql.begin(async (tx) => {
    await tx.unsafe('set local role service_role');
    return (await tx<Verdict[]>`select * from consume_api_rate_limit(${userId}::uuid, ${bucket}, ${limit}, ${windowSeconds})`)[0]!;
  }) as Promise<Verdict>;
const rows = (userId: string) => db.sql<{ bucket: string; window_seconds: number; hits: number }[]>`
  select bucket, window_seconds, hits from api_rate_limits where user_id = ${userId} order by window_seconds`;

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

  it('users and anon cannot call it at all (42501), whatever they pass', async () => {
    const user = await createUser(db.sql);
    for (const role of ['authenticated', 'anon'] as const) {
      await expect(asUser(db.sql, role === 'anon' ? null : user, (tx) =>
        tx`select * from consume_api_rate_limit(${user}::uuid, 'messages', 1000000, 1)`, role)).rejects.toMatchObject({ code: '42501' });
    }
    expect(await rows(user)).toEqual([]);
  });

  it('refuses bad arguments (WL422): no user, limit < 1, a bad bucket, a window under 1 s or over a day', async () => {
    const user = await createUser(db.sql);
    await expect(consume(null, 'messages', 1)).rejects.toMatchObject({ code: 'WL422' });
    await expect(consume(user, 'messages', 0)).rejects.toMatchObject({ code: 'WL422' });
    await expect(consume(user, 'Bad Bucket', 1)).rejects.toMatchObject({ code: 'WL422' });
    await expect(consume(user, 'messages', 1, 0)).rejects.toMatchObject({ code: 'WL422' });
    await expect(consume(user, 'messages', 1, 86_401)).rejects.toMatchObject({ code: 'WL422' });
    expect(await rows(user)).toEqual([]);
  });

  it('keeps the counters private: users can neither read nor write the table', async () => {
    const user = await createUser(db.sql);
    await consume(user, 'messages', 5);
    await expect(asUser(db.sql, user, (tx) => tx`select * from api_rate_limits`)).rejects.toMatchObject({ code: '42501' });
    await expect(asUser(db.sql, user, (tx) => tx`delete from api_rate_limits`)).rejects.toMatchObject({ code: '42501' });
    expect(await rows(user)).toEqual([{ bucket: 'messages', window_seconds: 3600, hits: 1 }]);
  });

  it('a call with another window never deletes the current one (the count does not restart)', async () => {
    const user = await createUser(db.sql);
    for (let i = 0; i < 3; i++) await consume(user, 'messages', 3, 60);
    expect((await consume(user, 'messages', 3, 60)).allowed).toBe(false);
    await consume(user, 'messages', 3, 1); // the old function deleted every older window of the bucket here
    expect((await consume(user, 'messages', 3, 60)).allowed).toBe(false);
    expect((await rows(user)).find((r) => r.window_seconds === 60)?.hits).toBe(5);
  });

  it('prunes rows of ended windows of any length, also of users who never come back', async () => {
    const gone = await createUser(db.sql);
    const user = await createUser(db.sql);
    // ended windows of 1 s, 1 h and 1 day (the longest allowed), and a current day-long window
    await db.sql`insert into api_rate_limits (user_id, bucket, window_seconds, window_start, window_end, hits)
      select ${gone}::uuid, 'messages', s, now() - make_interval(secs => 2 * s), now() - make_interval(secs => s), 9
        from unnest(array[1, 3600, 86400]) s
      union all
      select ${gone}::uuid, 'sessions', 86400, now() - interval '1 hour', now() + interval '23 hours', 4`;
    expect(await rows(gone)).toHaveLength(4);
    await consume(user, 'messages', 10);
    expect(await rows(gone)).toEqual([{ bucket: 'sessions', window_seconds: 86400, hits: 4 }]);
    // a window cannot claim to end later than its length says
    await expect(db.sql`insert into api_rate_limits (user_id, bucket, window_seconds, window_start, window_end)
      values (${gone}, 'x', 60, now(), now() + interval '100000 days')`).rejects.toMatchObject({ code: '23514' });
  });
});
