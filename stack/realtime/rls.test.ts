// The RLS re-check against a commit that is in the WAL but not yet visible. Postgres flushes a commit
// record (which the replication stream then decodes and hands us) a moment before it ends the
// transaction in shared memory; a probe in between finds no row. That window cannot be held open on
// demand, so these tests hold the inserting transaction open instead: to the probe it is the same state
// (the xid is not visible in its snapshot), and its commit is ours to time.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createUser, type TestDatabase } from '../../test/support/postgres.ts';
import type { RelationInfo } from './changes.ts';
import { TypeCatalog } from './decode.ts';
import { Dispatcher, type Subscriber } from './dispatcher.ts';
import { ColumnPrivileges } from './privileges.ts';
import { RlsChecker, rowKey, type VisibilityRequest } from './rls.ts';

let db: TestDatabase;
let pool: pg.Pool;
let checker: RlsChecker;
let relation: RelationInfo;
const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const types = new TypeCatalog(pool);
  await types.load();
  // A wait far longer than the tests' timeout: a check that waits when it should not fails the test.
  checker = new RlsChecker(pool, types, silent, 600_000);
  const { rows } = await pool.query<{ oid: number; name: string; type_oid: number }>(
    `select c.oid::int as oid, a.attname as name, a.atttypid::int as type_oid
       from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where c.oid = 'public.session_commands'::regclass order by a.attnum`);
  const columns = rows.map((row) => ({ name: row.name, typeOid: row.type_oid, type: types.name(row.type_oid) }));
  relation = {
    oid: rows[0]!.oid, schema: 'public', table: 'session_commands', columns,
    columnTypes: new Map(columns.map((column) => [column.name, column.type])), primaryKey: ['id'], rls: true,
  };
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function request(userId: string, id: string): VisibilityRequest {
  return {
    role: 'authenticated',
    claimsJson: JSON.stringify({ sub: userId, role: 'authenticated' }),
    tables: new Map([[relation.oid, { relation, keys: new Map([[JSON.stringify([id]), [id]]]) }]]),
  };
}

/** Inserts a command for `userId` in a transaction left open; commit() ends it. */
async function openInsert(userId: string) {
  const [session] = await db.sql<{ id: string }[]>`insert into whatsapp_sessions (user_id) values (${userId}) returning id`;
  const client = await pool.connect();
  await client.query('begin');
  const { rows } = await client.query<{ id: string; xid: string }>(
    `insert into session_commands (session_id, user_id, command) values ($1, $2, 'connect')
     returning id::text, (txid_current() % 4294967296)::text as xid`, [session!.id, userId]);
  return {
    id: rows[0]!.id,
    xid: Number(rows[0]!.xid),
    async commit() {
      await client.query('commit');
      client.release();
    },
  };
}

describe('RLS re-check of a decoded commit', () => {
  it('waits until the committing transaction is visible, then sees its row', async () => {
    const owner = await createUser(db.sql);
    const insert = await openInsert(owner);
    let settled = false;
    const checked = checker.check([request(owner, insert.id)], [insert.xid]).finally(() => { settled = true; });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    await insert.commit();
    const [visible] = await checked;
    expect([...visible!]).toEqual([rowKey(relation.oid, [insert.id])]);
  });

  it('does not wait for a visible transaction, and still hides a row the claims may not see', async () => {
    const owner = await createUser(db.sql);
    const stranger = await createUser(db.sql);
    const insert = await openInsert(owner);
    await insert.commit();
    const [own, foreign] = await checker.check([request(owner, insert.id), request(stranger, insert.id)], [insert.xid]);
    expect([...own!]).toEqual([rowKey(relation.oid, [insert.id])]);
    expect([...foreign!]).toEqual([]);
  }, 30_000);

  it('does not wait for a transaction that rolled back', async () => {
    const owner = await createUser(db.sql);
    const [session] = await db.sql<{ id: string }[]>`insert into whatsapp_sessions (user_id) values (${owner}) returning id`;
    const client = await pool.connect();
    await client.query('begin');
    const { rows } = await client.query<{ xid: string }>(
      `insert into session_commands (session_id, user_id, command) values ($1, $2, 'connect')
       returning (txid_current() % 4294967296)::text as xid`, [session!.id, owner]);
    await client.query('rollback');
    client.release();
    const [visible] = await checker.check([request(owner, '0')], [Number(rows[0]!.xid)]);
    expect([...visible!]).toEqual([]);
  }, 30_000);
});

describe('a service_role subscriber (no RLS probe)', () => {
  it('gets a decoded change only once its transaction is visible, so a read on the event finds the row', async () => {
    const owner = await createUser(db.sql);
    const insert = await openInsert(owner);
    const received: string[] = [];
    // A stand-in for a Realtime socket: the dispatcher's own Subscriber interface, recording what it is sent.
    const subscriber: Subscriber = {
      role: 'service_role', claimsJson: JSON.stringify({ role: 'service_role' }),
      bindings: [{ id: 1, event: 'INSERT', schema: 'public', table: 'session_commands', filters: [], select: null, params: {} }],
      isOpen: () => true,
      sendChange: (_ids, dataJson) => received.push(dataJson),
    };
    const dispatcher = new Dispatcher(checker, new ColumnPrivileges(pool), silent);
    dispatcher.add(subscriber);
    dispatcher.dispatch({
      xid: insert.xid, commitTimestamp: new Date().toISOString(),
      changes: [{ type: 'INSERT', relation, record: { id: Number(insert.id) }, oldRecord: null, keyText: [insert.id] }],
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toEqual([]);
    await insert.commit();
    for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!)).toMatchObject({ table: 'session_commands', type: 'INSERT', record: { id: Number(insert.id) } });
  });
});
