// Lease heartbeats (issue 16, migration 007200): a connector's heartbeat is one row of its own, so renewing
// the leases of many sessions writes no whatsapp_sessions row (a table Realtime decodes every change of).
// A lease lives while its own expiry or its owner's heartbeat has not passed. Also (007300): an unchanged
// WA Web version is not written again on every login.
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
const beat = async (owner: string) =>
  (await db.sql<{ session_id: string }[]>`select session_id from renew_session_leases(${owner}, '1 hour')`).map((r) => r.session_id).sort();
/** Row versions of the sessions: xmin changes with every write of a row. */
const versions = async (ids: string[]) =>
  (await db.sql<{ v: string }[]>`select xmin::text as v from whatsapp_sessions where id = any(${ids}::uuid[]) order by id`).map((r) => r.v);

describe('connector heartbeats', () => {
  it('keep every lease of their owner live past its own expiry without writing the session rows', async () => {
    const owner = randomOwner();
    const sessions = await Promise.all(Array.from({ length: 20 }, () => insertSession(db.sql, { status: 'connected', phone_number: randomPhone(), connected_at: new Date() })));
    const ids = sessions.map((s) => s.id).sort();
    expect(await beat(owner)).toEqual([]);
    // taken with a lease that has already run out by its own expiry: only the heartbeat keeps it
    for (const id of ids) expect(await value(db.sql`select acquire_session_lease(${id}, ${owner}, '-1 second')`)).toBe('1');
    const before = await versions(ids);
    for (let i = 0; i < 3; i++) expect(await beat(owner)).toEqual(ids);
    expect(await versions(ids), 'a heartbeat wrote session rows').toEqual(before);

    await db.sql`select assert_session_lease(${ids[0]!}, ${owner}, 1)`;
    const other = randomOwner('other');
    expect(await value(db.sql`select acquire_session_lease(${ids[0]!}, ${other}, '1 hour')`)).toBeNull();
    expect((await db.sql`select id from claim_wanted_sessions(${other}, '1 hour', 100000)`).filter((r) => ids.includes(r.id as string))).toEqual([]);
    const [{ ok }] = await db.sql`select set_session_status(${ids[1]!}, ${owner}, 1, 'reconnecting') as ok` as unknown as [{ ok: boolean }];
    expect(ok).toBe(true);
  });

  it('when the heartbeat runs out the leases are free, and a late beat does not revive them', async () => {
    const owner = randomOwner();
    const session = await insertSession(db.sql, { status: 'connected', phone_number: randomPhone(), connected_at: new Date() });
    expect(await beat(owner)).toEqual([]);
    expect(await value(db.sql`select acquire_session_lease(${session.id}, ${owner}, '-1 second')`)).toBe('1');
    expect(await beat(owner)).toEqual([session.id]);
    // the connector stopped beating (crash, stall) and its heartbeat ran out
    await db.sql`update connector_heartbeats set expires_at = now() - interval '1 second' where owner = ${owner}`;
    await expectPgError(db.sql`select assert_session_lease(${session.id}, ${owner}, 1)`, 'WL001');
    const [{ ok }] = await db.sql`select set_session_status(${session.id}, ${owner}, 1, 'reconnecting') as ok` as unknown as [{ ok: boolean }];
    expect(ok).toBe(false);

    expect(await beat(owner), 'a late beat revived an expired lease').toEqual([]);
    expect(await db.sql`select lease_owner from whatsapp_sessions where id = ${session.id}`).toEqual([{ lease_owner: null }]);
    const next = randomOwner('next');
    expect((await db.sql`select id, lease_epoch::text from claim_wanted_sessions(${next}, '1 hour', 100000)`).filter((r) => r.id === session.id))
      .toEqual([{ id: session.id, lease_epoch: '2' }]);
  });

  it('a late beat keeps the leases that are still live by their own expiry', async () => {
    const owner = randomOwner();
    const session = await insertSession(db.sql, { status: 'connected', phone_number: randomPhone(), connected_at: new Date() });
    expect(await value(db.sql`select acquire_session_lease(${session.id}, ${owner}, '1 hour')`)).toBe('1');
    await db.sql`insert into connector_heartbeats (owner, expires_at) values (${owner}, now() - interval '1 second')`;
    expect(await beat(owner)).toEqual([session.id]);
  });
});

describe('record_session_wa_version', () => {
  it('writes the row only when the version changed, and answers for the fence either way', async () => {
    const owner = randomOwner();
    const session = await insertSession(db.sql, { status: 'connected', phone_number: randomPhone(), connected_at: new Date() });
    expect(await value(db.sql`select acquire_session_lease(${session.id}, ${owner}, '1 hour')`)).toBe('1');
    const record = (version: string, epoch = 1) =>
      value<boolean>(db.sql`select record_session_wa_version(${session.id}, ${owner}, ${epoch}, ${version})`);
    expect(await record('2.3000.1')).toBe(true);
    const [before] = await versions([session.id]);
    expect(await record('2.3000.1')).toBe(true);
    expect(await versions([session.id]), 'an unchanged version was written again').toEqual([before]);
    expect(await record('2.3000.2')).toBe(true);
    expect(await db.sql`select wa_web_version from whatsapp_sessions where id = ${session.id}`).toEqual([{ wa_web_version: '2.3000.2' }]);
    expect(await record('2.3000.3', 7)).toBe(false);
    expect(await db.sql`select wa_web_version from whatsapp_sessions where id = ${session.id}`).toEqual([{ wa_web_version: '2.3000.2' }]);
  });
});
