// Per-recipient order and claim renewal while another transaction holds a row lock (issue 16): the claim
// uses SKIP LOCKED, so a locked older row is passed over; the claim must then hold back the newer rows of
// the same recipient (not send them first), and renewal must skip the locked row instead of waiting on it.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { insertConnectedSession, insertOutbound, randomOwner, type SessionRow } from './helpers.ts';

let db: TestDatabase;
let holder: postgres.ReservedSql;
let claimer: postgres.Sql;
beforeAll(async () => {
  db = await createTestDatabase();
  holder = await db.sql.reserve();
  claimer = postgres(db.url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  holder.release();
  await claimer.end();
  await db.drop();
});

/** Runs `body` while the holder's open transaction has a row lock (FOR UPDATE) on `id`. */
async function whileLocked<T>(id: string, body: () => Promise<T>): Promise<T> {
  await holder`begin`;
  try {
    await holder`select 1 from outbound_messages where id = ${id} for update`;
    return await body();
  } finally {
    await holder`rollback`;
  }
}

async function claim(owner: string, session: SessionRow) {
  const rows = await claimer<{ id: string }[]>`select id from claim_ready_outbound_messages(${owner}, array[${session.id}]::uuid[], 100, '5 minutes')
    order by created_at, id`;
  return rows.map((r) => r.id);
}

/** renew_outbound_claims on its own connection, failing (55P03) instead of waiting more than 5 s on a lock. */
async function renew(owner: string, ids: string[]): Promise<string[]> {
  return claimer.begin(async (tx) => {
    await tx`set local lock_timeout = '5s'`;
    const rows = await tx<{ id: string }[]>`select id from renew_outbound_claims(${owner}, ${ids}::uuid[], '10 minutes') as id`;
    return rows.map((r) => r.id).sort();
  });
}

describe('claim_ready_outbound_messages while an older row of the recipient is locked', () => {
  it('a locked due row holds back the newer rows of its recipient; other recipients go on; after the lock both come in order', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const older = await insertOutbound(db.sql, session, { recipient: '+15557770001', text: 'first' });
    const newer = await insertOutbound(db.sql, session, { recipient: '+15557770001', text: 'second' });
    const other = await insertOutbound(db.sql, session, { recipient: '+15557770002', text: 'someone else' });

    const claimedWhileLocked = await whileLocked(older.id, () => claim(owner, session));
    expect(claimedWhileLocked, 'the newer row of the recipient overtook its locked older row').toEqual([other.id]);
    const [state] = await db.sql`select status, attempts from outbound_messages where id = ${newer.id}`;
    expect(state).toEqual({ status: 'queued', attempts: 0 });

    expect(await claim(owner, session)).toEqual([older.id, newer.id]);
  });

  it('a locked row whose claim expired (a dead claimer) holds back the newer rows of its recipient too', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const older = await insertOutbound(db.sql, session, {
      recipient: '+15557770003', status: 'sending', attempts: 1, claimed_by: 'dead', claim_expires_at: new Date(Date.now() - 1000) });
    const newer = await insertOutbound(db.sql, session, { recipient: '+15557770003' });

    expect(await whileLocked(older.id, () => claim(owner, session))).toEqual([]);
    expect(await claim(owner, session)).toEqual([older.id, newer.id]);
  });

  it('a newer row behind a locked older row stays back even when the rows in between are claimable', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const rows = [];
    for (let i = 0; i < 4; i++) rows.push(await insertOutbound(db.sql, session, { recipient: '+15557770004', text: `m${i}` }));
    // the second row is locked: the first may go, the third and fourth must wait behind it
    expect(await whileLocked(rows[1]!.id, () => claim(owner, session))).toEqual([rows[0]!.id]);
    expect(await claim(owner, session)).toEqual(rows.slice(1).map((r) => r.id));
  });
});

describe('claim_ready_outbound_messages for rows addressed to a number-hidden contact (recipient null, LID jid)', () => {
  const toLid = (lid: string, values: Record<string, unknown> = {}) => ({ recipient: null, recipient_jid: `${lid}@lid`, ...values });

  it('an older row to the LID waiting for its retry, or locked, holds back the newer rows to that LID; another LID goes on', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const older = await insertOutbound(db.sql, session, toLid('210987654321001', {
      text: 'first', status: 'queued', attempts: 1, next_attempt_at: new Date(Date.now() + 60_000) }));
    const newer = await insertOutbound(db.sql, session, toLid('210987654321001', { text: 'second' }));
    const other = await insertOutbound(db.sql, session, toLid('210987654321002', { text: 'someone else' }));

    expect(await claim(owner, session), 'the newer row to the LID overtook the older one waiting for its retry').toEqual([other.id]);
    await db.sql`update outbound_messages set next_attempt_at = now() where id = ${older.id}`;
    expect(await whileLocked(older.id, () => claim(owner, session)), 'the newer row to the LID overtook its locked older row').toEqual([]);
    expect(await claim(owner, session)).toEqual([older.id, newer.id]);
  });

  it('a row to the LID under another connector\'s live claim holds back the next row to it (never two in flight)', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const older = await insertOutbound(db.sql, session, toLid('210987654321003', {
      status: 'sending', attempts: 1, claimed_by: randomOwner(), claim_expires_at: new Date(Date.now() + 60_000) }));
    const newer = await insertOutbound(db.sql, session, toLid('210987654321003'));

    expect(await claim(owner, session)).toEqual([]);
    await db.sql`update outbound_messages set status = 'sent', claimed_by = null, claim_expires_at = null, sent_at = now() where id = ${older.id}`;
    expect(await claim(owner, session)).toEqual([newer.id]);
  });
});

describe('renew_outbound_claims while one of the rows is locked', () => {
  it('renews the other claims at once and leaves the locked row for the next renewal', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const a = await insertOutbound(db.sql, session, { recipient: '+15557770005' });
    const b = await insertOutbound(db.sql, session, { recipient: '+15557770006' });
    expect((await claim(owner, session)).sort()).toEqual([a.id, b.id].sort());
    const before = await db.sql<{ id: string; claim_expires_at: Date }[]>`
      select id, claim_expires_at from outbound_messages where id = any(${[a.id, b.id]}::uuid[])`;
    const expiresBefore = new Map(before.map((r) => [r.id, r.claim_expires_at.getTime()]));

    expect(await whileLocked(a.id, () => renew(owner, [a.id, b.id])), 'the locked row must not be reported renewed').toEqual([b.id]);
    const after = await db.sql<{ id: string; claim_expires_at: Date }[]>`
      select id, claim_expires_at from outbound_messages where id = any(${[a.id, b.id]}::uuid[])`;
    const expiresAfter = new Map(after.map((r) => [r.id, r.claim_expires_at.getTime()]));
    expect(expiresAfter.get(a.id)).toBe(expiresBefore.get(a.id));
    expect(expiresAfter.get(b.id)).toBeGreaterThan(expiresBefore.get(b.id)!);

    expect(await renew(owner, [a.id, b.id])).toEqual([a.id, b.id].sort());
    // a row no longer ours (or not sending) is not reported either
    expect(await renew(randomOwner(), [a.id, b.id])).toEqual([]);
  });
});
