import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installConsoleGuard } from '../ops/console-guard.ts';
import { createTestDatabase, createUser, type TestDatabase } from '../../test/support/postgres.ts';
import { createStore, type Fence, type Store } from '../store/index.ts';

installConsoleGuard();
const { Lru, PLAINTEXT_REFUSED, makeEnvelope, usePostgresAuthState } = await import('./index.ts');
const { rekeyAuthState } = await import('./rekey.ts');

let db: TestDatabase;
let store: Store;
beforeAll(async () => {
  db = await createTestDatabase();
  store = createStore(db.url, 4);
});
afterAll(async () => {
  await store.close();
  await db.drop();
});

const oldKey = randomBytes(32);
const newKey = randomBytes(32);

async function newFence(owner = `connector-${randomBytes(3).toString('hex')}`): Promise<Fence> {
  const user = await createUser(db.sql);
  const [session] = await db.sql`insert into whatsapp_sessions (user_id, status) values (${user}, 'connecting') returning id`;
  const epoch = await store.sessions.acquireLease(session!.id, owner, 30_000);
  return { sessionId: session!.id, owner, epoch: epoch! };
}

/** A session with creds and `keys` session keys written by a connector with `key` (null: encryption disabled). */
async function seed(key: Buffer | null, keys = 3, { release = true } = {}) {
  const fence = await newFence();
  const auth = await usePostgresAuthState(fence, { rows: store.authRows, envelope: makeEnvelope({ current: key }), cache: new Lru<unknown>(0) });
  auth.state.creds.me = { id: '15550001111:7@s.whatsapp.net', name: 'Ann' };
  await auth.saveCreds();
  const session: Record<string, Uint8Array> = {};
  for (let i = 0; i < keys; i++) session[`c${i}.0`] = new Uint8Array([i, 7]);
  await auth.state.keys.set({ session });
  if (release) await store.sessions.releaseLease(fence);
  return { fence, noiseKey: Buffer.from(auth.state.creds.noiseKey.private) };
}

const prefixes = async (sessionId: string) =>
  (await db.sql<{ p: Buffer }[]>`select substr(value, 1, 5) as p from whatsapp_auth_state where session_id = ${sessionId}`).map((r) => r.p);

/** What a connector configured with only `key` reads back. */
async function readWith(sessionId: string, key: Buffer, keys = 3) {
  const fence = await (async () => {
    const owner = `reader-${randomBytes(3).toString('hex')}`;
    return { sessionId, owner, epoch: (await store.sessions.acquireLease(sessionId, owner, 30_000))! };
  })();
  const auth = await usePostgresAuthState(fence, { rows: store.authRows, envelope: makeEnvelope({ current: key }), cache: new Lru<unknown>(0) });
  const ids = Array.from({ length: keys }, (_, i) => `c${i}.0`);
  const session = await auth.state.keys.get('session', ids);
  await store.sessions.releaseLease(fence);
  return { noiseKey: Buffer.from(auth.state.creds.noiseKey.private), session: ids.map((id) => [...(session[id] ?? [])]) };
}

const run = (envelope: ReturnType<typeof makeEnvelope>, extra: Partial<Parameters<typeof rekeyAuthState>[0]> = {}) =>
  rekeyAuthState({ sessions: store.sessions, rows: store.authRows, envelope, owner: `rekey-${randomBytes(3).toString('hex')}`, leaseTtlMs: 30_000, ...extra });

describe('auth state: plaintext (v0) values when a key is configured', () => {
  it('refuses them on read, unless the migration switch (AUTH_STATE_MIGRATE_PLAINTEXT) is on', async () => {
    const { fence } = await seed(null);
    const rows = { rows: store.authRows, cache: new Lru<unknown>(0) };
    await expect(usePostgresAuthState(fence, { ...rows, envelope: makeEnvelope({ current: newKey }) })).rejects.toThrow(PLAINTEXT_REFUSED);
    const migrating = await usePostgresAuthState(fence, { ...rows, envelope: makeEnvelope({ current: newKey, acceptPlaintext: true }) });
    expect(migrating.state.creds.me?.name).toBe('Ann');
    expect([...(await migrating.state.keys.get('session', ['c1.0']))['c1.0']!]).toEqual([1, 7]);
    // without a key (AUTH_STATE_ENCRYPTION=disabled) plaintext is what is expected
    const plain = await usePostgresAuthState(fence, { ...rows, envelope: makeEnvelope({ current: null }) });
    expect(plain.state.creds.me?.name).toBe('Ann');
  });
});

describe('npm run auth-state:rekey', () => {
  it('re-seals old-key and (with the switch) plaintext values under the new key: the old key can go', async () => {
    const a = await seed(oldKey);
    const b = await seed(null);
    const c = await seed(newKey);
    const report = await run(makeEnvelope({ current: newKey, old: [oldKey], acceptPlaintext: true }), { pageSize: 2 });
    expect(report).toMatchObject({ held: [], leaseLost: [], unreadable: [] });
    // c was already under the new key: nothing to do there
    expect(report.sessions).toBeGreaterThanOrEqual(2);
    const expected = [0x01, ...newKeyId()];
    for (const s of [a, b, c]) {
      for (const p of await prefixes(s.fence.sessionId)) expect([...p]).toEqual(expected);
      const read = await readWith(s.fence.sessionId, newKey);
      expect(read.noiseKey).toEqual(s.noiseKey);
      expect(read.session).toEqual([[0, 7], [1, 7], [2, 7]]);
      expect((await store.sessions.get(s.fence.sessionId))?.lease_owner).toBeNull();
    }
    // resumable: a second run finds nothing left
    expect(await run(makeEnvelope({ current: newKey, old: [oldKey] }))).toMatchObject({ rewritten: 0, held: [] });
  });

  it('leaves plaintext values alone without the switch, and says so', async () => {
    const b = await seed(null, 1);
    const report = await run(makeEnvelope({ current: newKey }));
    const mine = report.unreadable.filter((u) => u.sessionId === b.fence.sessionId);
    expect(mine.map((u) => u.kind).sort()).toEqual(['creds', 'session']);
    expect(mine[0]!.reason).toBe(PLAINTEXT_REFUSED);
    for (const p of await prefixes(b.fence.sessionId)) expect(p[0]).toBe(0);
    await run(makeEnvelope({ current: newKey, acceptPlaintext: true })); // leave nothing behind for the next cases
  });

  it('skips a session a running connector holds (its lease), and re-seals it once the lease is free', async () => {
    const held = await seed(oldKey, 3, { release: false });
    const envelope = makeEnvelope({ current: newKey, old: [oldKey] });
    const first = await run(envelope);
    expect(first.held).toEqual([held.fence.sessionId]);
    for (const p of await prefixes(held.fence.sessionId)) expect(p.subarray(1)).not.toEqual(newKeyId());
    // the connector still owns it, at the same epoch: it was not disturbed
    expect(await store.sessions.get(held.fence.sessionId)).toMatchObject({ lease_owner: held.fence.owner, lease_epoch: held.fence.epoch });
    await store.sessions.releaseLease(held.fence);
    const second = await run(envelope);
    expect(second).toMatchObject({ held: [], rewritten: 4 });
    expect((await readWith(held.fence.sessionId, newKey)).session).toEqual([[0, 7], [1, 7], [2, 7]]);
  });

  it('is fenced: once a connector takes the session over mid-run, the tool writes nothing more, and the next run finishes', async () => {
    const s = await seed(oldKey, 5);
    const connector = `connector-${randomBytes(3).toString('hex')}`;
    let connectorWrote: Buffer | null = null;
    const report = await run(makeEnvelope({ current: newKey, old: [oldKey] }), {
      pageSize: 2,
      // after the first page the tool's lease expires and a connector takes the session and writes a key
      onPage: async (sessionId) => {
        if (sessionId !== s.fence.sessionId || connectorWrote) return;
        await db.sql`update whatsapp_sessions set lease_expires_at = now() - interval '1 second' where id = ${sessionId}`;
        const epoch = (await store.sessions.acquireLease(sessionId, connector, 30_000))!;
        const auth = await usePostgresAuthState({ sessionId, owner: connector, epoch },
          { rows: store.authRows, envelope: makeEnvelope({ current: newKey, old: [oldKey] }), cache: new Lru<unknown>(0) });
        await auth.state.keys.set({ session: { 'c4.0': new Uint8Array([4, 9]) } });
        const [written] = await db.sql<{ value: Buffer }[]>`select value from whatsapp_auth_state
          where session_id = ${sessionId} and key_id = 'c4.0'`;
        connectorWrote = written!.value;
      },
    });
    expect(report.leaseLost).toEqual([s.fence.sessionId]);
    const [row] = await db.sql<{ value: Buffer }[]>`select value from whatsapp_auth_state where session_id = ${s.fence.sessionId} and key_id = 'c4.0'`;
    expect(row!.value).toEqual(connectorWrote);
    expect((await store.sessions.get(s.fence.sessionId))?.lease_owner).toBe(connector);
    // the connector stops (releases): the next run re-seals what is left and the connector's value reads back
    await db.sql`update whatsapp_sessions set lease_owner = null, lease_expires_at = null where id = ${s.fence.sessionId}`;
    expect((await run(makeEnvelope({ current: newKey, old: [oldKey] }))).held).toEqual([]);
    expect((await readWith(s.fence.sessionId, newKey, 5)).session).toEqual([[0, 7], [1, 7], [2, 7], [3, 7], [4, 9]]);
  });

  it('runs as an npm script: exit 0 when done, 3 with the report while a connector holds a session', async () => {
    const held = await seed(oldKey, 1, { release: false });
    const env = {
      ...process.env, DATABASE_URL: db.url, AUTH_STATE_ENCRYPTION_KEY: newKey.toString('base64'),
      AUTH_STATE_ENCRYPTION_OLD_KEYS: oldKey.toString('base64'),
    };
    const cli = promisify(execFile);
    const failed = await cli('npm', ['run', '--silent', 'auth-state:rekey'], { env }).then(() => null, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(failed?.code).toBe(3);
    expect(JSON.parse(failed!.stdout).held).toEqual([held.fence.sessionId]);
    expect(failed!.stderr).toMatch(/1 sessions held by a running connector/);
    await store.sessions.releaseLease(held.fence);
    const done = await cli('npm', ['run', '--silent', 'auth-state:rekey'], { env });
    expect(done.stderr).toMatch(/every value is under the current key/);
    const missingKey = await cli('npm', ['run', '--silent', 'auth-state:rekey'], { env: { ...env, AUTH_STATE_ENCRYPTION_KEY: '' } })
      .then(() => null, (e: { code: number; stderr: string }) => e);
    expect(missingKey).toMatchObject({ code: 78, stderr: expect.stringMatching(/AUTH_STATE_ENCRYPTION_KEY: required/) });
  });
});

function newKeyId(): Buffer {
  return makeEnvelope({ current: newKey }).currentPrefix.subarray(1);
}
