// Session leases with fencing numbers: a live lease is exclusive, a stale one can be taken over, and
// from then on every write of the old holder is refused (renew false, assert WL001, link refused).
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { expectPgError, insertSession, randomOwner, randomPhone } from './helpers.ts';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

async function value<T>(query: postgres.PendingQuery<postgres.Row[]>): Promise<T> {
  const [row] = await query;
  return Object.values(row!)[0] as T;
}
const acquire = (id: string, owner: string, ttl = '1 hour') =>
  value<string | null>(db.sql`select acquire_session_lease(${id}, ${owner}, ${ttl}::interval)`);
const renew = (id: string, owner: string, epoch: string) =>
  value<boolean>(db.sql`select exists (select 1 from renew_session_leases(${owner}, '1 hour')
    where session_id = ${id} and lease_epoch = ${epoch})`);
/** Lets the current lease run out (what a connector that stopped renewing sees happen). */
const letLeaseExpire = (id: string) =>
  db.sql`update whatsapp_sessions set lease_expires_at = now() - interval '1 second' where id = ${id}`;

describe('session leases', () => {
  it('a live lease is exclusive; its holder may re-acquire it with a new fencing number', async () => {
    const session = await insertSession(db.sql, { status: 'connecting' });
    const [a, b] = [randomOwner('a'), randomOwner('b')];
    expect(await acquire(session.id, a)).toBe('1');
    expect(await acquire(session.id, b)).toBeNull();
    expect(await acquire(session.id, a)).toBe('2');
    expect(await renew(session.id, a, '1')).toBe(false); // the old number is dead even for the same owner
    expect(await renew(session.id, a, '2')).toBe(true);
  });

  it('a stale lease is taken over, and the old holder\'s fencing number is then refused everywhere', async () => {
    const session = await insertSession(db.sql, { status: 'connecting' });
    const [old, next] = [randomOwner('old'), randomOwner('next')];
    const oldEpoch = (await acquire(session.id, old))!;
    await letLeaseExpire(session.id);
    const newEpoch = (await acquire(session.id, next))!;
    expect(BigInt(newEpoch)).toBe(BigInt(oldEpoch) + 1n);

    expect(await renew(session.id, old, oldEpoch)).toBe(false);
    await expectPgError(db.sql`select assert_session_lease(${session.id}, ${old}, ${oldEpoch})`, 'WL001');
    await expectPgError(
      db.sql`select * from complete_session_link(${session.id}, ${old}, ${oldEpoch}, ${randomPhone()}, '1@s.whatsapp.net', null, 'Old')`,
      'WL001');
    expect(await value(db.sql`select release_session_lease(${session.id}, ${old}, ${oldEpoch})`)).toBe(false);
    expect(await db.sql`select * from renew_session_leases(${old}, '1 hour')`).toHaveLength(0);
    // The old holder's transaction that writes auth state is stopped before it writes anything.
    await expectPgError(db.sql.begin(async (tx) => {
      await tx`select assert_session_lease(${session.id}, ${old}, ${oldEpoch})`;
      await tx`insert into whatsapp_auth_state (session_id, kind, value) values (${session.id}, 'creds', '\\x01')`;
    }), 'WL001');

    const [row] = await db.sql`select status, phone_number, lease_owner, lease_epoch::text,
      (select count(*)::int from whatsapp_auth_state where session_id = ${session.id}) as credentials
      from whatsapp_sessions where id = ${session.id}`;
    expect(row).toEqual({ status: 'connecting', phone_number: null, lease_owner: next, lease_epoch: newEpoch, credentials: 0 });

    await expectPgError(db.sql`select write_session_auth_state(${session.id}, ${old}, ${oldEpoch},
      ${['creds']}::text[], ${['']}::text[], array['\\x01'::bytea])`, 'WL001');

    // The new holder is unaffected.
    await db.sql`select assert_session_lease(${session.id}, ${next}, ${newEpoch})`;
    await db.sql`select write_session_auth_state(${session.id}, ${next}, ${newEpoch},
      ${['creds', 'pre-key']}::text[], ${['', '1']}::text[], array['\\x02'::bytea, '\\x03'::bytea])`;
    await db.sql`select write_session_auth_state(${session.id}, ${next}, ${newEpoch},
      ${['pre-key']}::text[], ${['1']}::text[], array[null::bytea])`;
    expect(await db.sql`select kind, value from whatsapp_auth_state where session_id = ${session.id}`)
      .toEqual([{ kind: 'creds', value: Buffer.from([2]) }]);
    expect(await renew(session.id, next, newEpoch)).toBe(true);
    expect(await db.sql`select session_id, lease_epoch::text from renew_session_leases(${next}, '1 hour')`)
      .toEqual([{ session_id: session.id, lease_epoch: newEpoch }]);
  });

  it('an expired lease cannot be renewed or asserted even before anyone takes it over', async () => {
    const session = await insertSession(db.sql, { status: 'reconnecting', phone_number: randomPhone() });
    const owner = randomOwner();
    const epoch = (await acquire(session.id, owner))!;
    await letLeaseExpire(session.id);
    expect(await renew(session.id, owner, epoch)).toBe(false);
    await expectPgError(db.sql`select assert_session_lease(${session.id}, ${owner}, ${epoch})`, 'WL001');
  });

  it('a released lease is free for the next connector at once', async () => {
    const session = await insertSession(db.sql, { status: 'connecting' });
    const [a, b] = [randomOwner('a'), randomOwner('b')];
    const epoch = (await acquire(session.id, a))!;
    expect(await value(db.sql`select release_session_lease(${session.id}, ${a}, ${epoch})`)).toBe(true);
    expect(await acquire(session.id, b)).toBe(String(BigInt(epoch) + 1n));
  });
});
