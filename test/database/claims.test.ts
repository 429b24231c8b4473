// The claim functions hand each row to exactly one of many concurrent claimers (separate connections,
// FOR UPDATE SKIP LOCKED), lose none, and give expired claims to the next claimer.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createUser, type TestDatabase } from '../support/postgres.ts';
import { insertConnectedSession, insertOutbound, insertSession, randomOwner } from './helpers.ts';

const CLAIMERS = 8;

let db: TestDatabase;
let clients: postgres.Sql[];
beforeAll(async () => {
  db = await createTestDatabase();
  clients = Array.from({ length: CLAIMERS }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
  await Promise.all(clients.map((client) => client`select 1`)); // connected before the race starts
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.end()));
  await db.drop();
});

/** Runs `claim` on every client in a loop until it comes back empty; returns the ids each one got. */
async function drainConcurrently(claim: (client: postgres.Sql, index: number) => Promise<string[]>) {
  return Promise.all(clients.map(async (client, index) => {
    const got: string[] = [];
    for (;;) {
      const batch = await claim(client, index);
      if (batch.length === 0) return got;
      got.push(...batch);
    }
  }));
}

function expectEachExactlyOnce(perClaimer: string[][], expected: string[]) {
  const all = perClaimer.flat();
  expect(all.length, 'rows claimed more than once').toBe(new Set(all).size);
  expect([...new Set(all)].sort(), 'rows lost or foreign rows claimed').toEqual([...expected].sort());
}

/** Bulk-creates `count` users with one session each (status cycling through `statuses`). */
async function insertSessions(count: number, statuses: string[], extra = '') {
  const tag = randomBytes(4).toString('hex');
  const phoneBase = 2_000_000_000 + (randomBytes(4).readUInt32BE() % 5_000_000) * 1000;
  return db.sql<{ id: string; user_id: string; status: string }[]>`
    with src as materialized (select gen_random_uuid() as id, i as n from generate_series(1, ${count}) i),
    users as (
      insert into auth.users (id, email) select id, ${`bulk-${tag}-`} || n || '@test.local' from src returning id)
    insert into whatsapp_sessions (user_id, status, qr, qr_expires_at, phone_number, connected_at)
    select u.id, s.status,
           case when s.status = 'qr' then '2@qr' end, case when s.status = 'qr' then now() + interval '20 s' end,
           case when s.status in ('connected', 'reconnecting') then '+1' || (${String(phoneBase)}::bigint + u.n) end,
           case when s.status = 'connected' then now() end
      from src u
      join lateral (select (${statuses}::text[]::session_status[])[1 + (u.n % ${statuses.length})] as status) s on true
    returning id, user_id, status ${db.sql.unsafe(extra)}`;
}

describe('claim_ready_outbound_messages (every session id offered: the lease rules still decide)', () => {
  it(`gives each of 1,200 due rows to exactly one of ${CLAIMERS} concurrent claimers, losing none`, async () => {
    const owner = randomOwner();
    const sessions = await Promise.all([1, 2, 3, 4].map(() => insertConnectedSession(db.sql, {}, owner)));
    const rows = await db.sql<{ id: string }[]>`
      insert into outbound_messages (session_id, user_id, recipient, text)
      select s.id, s.user_id, '+1555777' || lpad(i::text, 4, '0'), 'message ' || i
        from unnest(${sessions.map((s) => s.id)}::uuid[], ${sessions.map((s) => s.user_id)}::uuid[]) as s(id, user_id)
        cross join generate_series(1, 300) i
      returning id`;
    expect(rows).toHaveLength(1200);

    const perClaimer = await drainConcurrently(async (client) =>
      (await client<{ id: string }[]>`select id from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 25, '5 minutes')`).map((r) => r.id));

    expectEachExactlyOnce(perClaimer, rows.map((r) => r.id));
    const [state] = await db.sql`
      select count(*) filter (where status = 'sending' and claimed_by = ${owner} and attempts = 1)::int as claimed,
             count(*)::int as total
        from outbound_messages where session_id = any(${sessions.map((s) => s.id)}::uuid[])`;
    expect(state).toEqual({ claimed: 1200, total: 1200 });
  });

  it('claims only rows of connected sessions whose live lease the caller holds, and only due ones', async () => {
    const owner = randomOwner();
    const mine = await insertConnectedSession(db.sql, {}, owner);
    const theirs = await insertConnectedSession(db.sql, {}, randomOwner());
    const linking = await insertSession(db.sql, {
      status: 'connecting', lease_owner: owner, lease_epoch: 1, lease_expires_at: new Date(Date.now() + 60_000) });
    const due = await insertOutbound(db.sql, mine);
    await insertOutbound(db.sql, mine, { next_attempt_at: new Date(Date.now() + 3_600_000) }); // retry later
    await insertOutbound(db.sql, theirs);
    await insertOutbound(db.sql, linking);
    const claimed = await db.sql`select id from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 100, '5 minutes')`;
    expect(claimed.map((r) => r.id)).toEqual([due.id]);
  });

  it('a dead connector\'s expired claims go to the connector that takes the session over', async () => {
    const dead = randomOwner('dead');
    const heir = randomOwner('heir');
    const session = await insertSession(db.sql, { status: 'connected', phone_number: `+1666${Date.now() % 10_000_000}`, connected_at: new Date() });
    const rows = await Promise.all(Array.from({ length: 10 }, () => insertOutbound(db.sql, session)));
    await db.sql`select acquire_session_lease(${session.id}, ${dead}, '1 hour')`;
    // The dead connector claimed everything with a claim that has already run out …
    expect(await db.sql`select id from claim_ready_outbound_messages(${dead}, (select array_agg(id) from whatsapp_sessions), 100, '-1 second')`).toHaveLength(10);
    // … and then its lease ran out too.
    await db.sql`update whatsapp_sessions set lease_expires_at = now() - interval '1 second' where id = ${session.id}`;

    const [{ epoch }] = await db.sql`select acquire_session_lease(${session.id}, ${heir}, '1 hour') as epoch` as unknown as [{ epoch: string }];
    expect(epoch).toBe('2');
    const reclaimed = await db.sql<{ id: string; attempts: number; claimed_by: string }[]>`
      select id, attempts, claimed_by from claim_ready_outbound_messages(${heir}, (select array_agg(id) from whatsapp_sessions), 100, '5 minutes')`;
    expect(reclaimed.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(new Set(reclaimed.map((r) => `${r.claimed_by}/${r.attempts}`))).toEqual(new Set([`${heir}/2`]));
    // A live claim is not reclaimed, and the dead connector can no longer report a send.
    expect(await db.sql`select id from claim_ready_outbound_messages(${heir}, (select array_agg(id) from whatsapp_sessions), 100, '5 minutes')`).toHaveLength(0);
    const [{ sent }] = await db.sql`select mark_outbound_sent(${rows[0]!.id}, ${dead}, '1@s.whatsapp.net') as sent` as unknown as [{ sent: boolean }];
    expect(sent).toBe(false);
  });
});

describe('claim_session_commands', () => {
  it(`gives each of 1,000 pending commands to exactly one of ${CLAIMERS} concurrent connectors, losing none`, async () => {
    const sessions = await insertSessions(50, ['new']);
    const commands = await db.sql<{ id: string }[]>`
      insert into session_commands (session_id, user_id, command)
      select s.id, s.user_id, 'connect'
        from unnest(${sessions.map((s) => s.id)}::uuid[], ${sessions.map((s) => s.user_id)}::uuid[]) as s(id, user_id)
        cross join generate_series(1, 20)
      returning id::text`;
    expect(commands).toHaveLength(1000);
    const mine = new Set(commands.map((c) => c.id));

    const owners = clients.map(() => randomOwner());
    const perClaimer = await drainConcurrently(async (client, index) =>
      (await client<{ id: string }[]>`select id::text from claim_session_commands(${owners[index]!}, 20, '5 minutes')`)
        .map((r) => r.id).filter((id) => mine.has(id)));

    expectEachExactlyOnce(perClaimer, [...mine]);
    const [state] = await db.sql`
      select count(*) filter (where status = 'running' and attempts = 1 and claimed_by = any(${owners}))::int as claimed
        from session_commands where id = any(${[...mine]}::bigint[])`;
    expect(state!.claimed).toBe(1000);
  });

  it('leaves the commands of a session another connector holds alone, and reclaims expired claims', async () => {
    const holder = randomOwner('holder');
    const other = randomOwner('other');
    const held = await insertSession(db.sql, {
      status: 'connected', phone_number: `+1777${Date.now() % 10_000_000}`, connected_at: new Date(),
      lease_owner: holder, lease_epoch: 3, lease_expires_at: new Date(Date.now() + 3_600_000) });
    const [command] = await db.sql`insert into session_commands (session_id, user_id, command)
      values (${held.id}, ${held.user_id}, 'logout') returning id::text`;
    const claimedBy = async (owner: string, ttl: string) =>
      (await db.sql`select id::text, attempts from claim_session_commands(${owner}, 1000, ${ttl}::interval)`)
        .filter((r) => r.id === command!.id);

    expect(await claimedBy(other, '5 minutes')).toHaveLength(0);
    expect(await claimedBy(holder, '-1 second')).toEqual([{ id: command!.id, attempts: 1 }]); // claim already expired
    expect(await claimedBy(holder, '5 minutes')).toEqual([{ id: command!.id, attempts: 2 }]);
    expect(await claimedBy(holder, '5 minutes')).toHaveLength(0); // a live claim stays put
    const [{ done }] = await db.sql`select complete_session_command(${command!.id}, ${other}) as done` as unknown as [{ done: boolean }];
    expect(done).toBe(false);
  });
});

describe('claim_wanted_sessions', () => {
  it(`gives each of 1,000 unleased wanted sessions to exactly one of ${CLAIMERS} concurrent connectors`, async () => {
    const sessions = await insertSessions(1100, [
      'connecting', 'qr', 'connected', 'reconnecting', 'connecting', 'connected', 'connecting', 'qr', 'connected', 'reconnecting', 'new']);
    const wanted = sessions.filter((s) => s.status !== 'new').map((s) => s.id);
    expect(wanted).toHaveLength(1000);
    const mine = new Set(sessions.map((s) => s.id));

    const owners = clients.map(() => randomOwner());
    const perClaimer = await drainConcurrently(async (client, index) =>
      (await client<{ id: string }[]>`select id from claim_wanted_sessions(${owners[index]!}, '1 hour', 25)`)
        .map((r) => r.id).filter((id) => mine.has(id)));

    expectEachExactlyOnce(perClaimer, wanted);
    const leased = await db.sql<{ id: string; lease_owner: string; lease_epoch: string }[]>`
      select id, lease_owner, lease_epoch from whatsapp_sessions where id = any(${[...mine]}::uuid[]) and lease_owner is not null`;
    expect(leased).toHaveLength(1000);
    const ownerOf = new Map(perClaimer.flatMap((ids, index) => ids.map((id) => [id, owners[index]] as const)));
    expect(leased.every((s) => s.lease_owner === ownerOf.get(s.id) && s.lease_epoch === '1')).toBe(true);
  });

  it('takes over a session whose lease expired, with the next fencing number', async () => {
    const user = await createUser(db.sql);
    const session = await insertSession(db.sql, {
      user_id: user, status: 'reconnecting', lease_owner: 'dead', lease_epoch: 5,
      lease_expires_at: new Date(Date.now() - 1000) });
    const owner = randomOwner();
    const claimed = (await db.sql`select id, lease_epoch from claim_wanted_sessions(${owner}, '1 hour', 100000)`)
      .filter((r) => r.id === session.id);
    expect(claimed).toEqual([{ id: session.id, lease_epoch: '6' }]);
    const again = (await db.sql`select id from claim_wanted_sessions(${randomOwner()}, '1 hour', 100000)`)
      .filter((r) => r.id === session.id);
    expect(again).toHaveLength(0);
  });
});
