import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installConsoleGuard } from '../ops/console-guard.ts';
import { createTestDatabase, createUser, type TestDatabase } from '../../test/support/postgres.ts';
import { createStore, type Fence, type Store } from '../store/index.ts';

installConsoleGuard();
const { makeEnvelope, Lru, usePostgresAuthState } = await import('./index.ts');
const { Curve, signedKeyPair } = await import('@whiskeysockets/baileys');

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

async function newFence(owner = `c-${randomBytes(3).toString('hex')}`): Promise<Fence> {
  const user = await createUser(db.sql);
  const [session] = await db.sql`insert into whatsapp_sessions (user_id, status) values (${user}, 'connecting') returning id`;
  const epoch = await store.sessions.acquireLease(session!.id, owner, 30_000);
  return { sessionId: session!.id, owner, epoch: epoch! };
}

const key = randomBytes(32);
const deps = (envelopeKey: Buffer | null = key, old: Buffer[] = []) => ({
  rows: store.authRows, envelope: makeEnvelope({ current: envelopeKey, old }), cache: new Lru<unknown>(1000),
});

describe('Postgres auth state', () => {

  it('close() waits for the writes in flight and takes no more: nothing lands after a wipe', async () => {
    const fence = await newFence();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = { ...deps(), rows: { ...store.authRows, write: async (...args: Parameters<Store['authRows']['write']>) => {
      await gate;
      return store.authRows.write(...args);
    } } };
    const auth = await usePostgresAuthState(fence, slow);
    const inFlight = auth.state.keys.set({ 'sender-key-memory': { a: { x: true } } });
    let closed = false;
    const closing = auth.close().then(() => { closed = true; });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    release();
    await inFlight;
    await closing;
    await store.authRows.wipe(fence);
    auth.state.creds.me = { id: '15550001111:7@s.whatsapp.net', name: 'Ann' };
    await auth.saveCreds();
    await auth.state.keys.set({ 'sender-key-memory': { b: { y: true } } });
    const [{ n }] = await db.sql`select count(*)::int as n from whatsapp_auth_state where session_id = ${fence.sessionId}` as unknown as [{ n: number }];
    expect(n).toBe(0);
  });

  it('writes creds only when they changed (Baileys emits creds.update with the same values on every login)', async () => {
    const fence = await newFence();
    let writes = 0;
    const counting = () => ({ ...deps(), rows: { ...store.authRows, write: (...args: Parameters<Store['authRows']['write']>) => { writes++; return store.authRows.write(...args); } } });
    const first = await usePostgresAuthState(fence, counting());
    first.state.creds.me = { id: '15550001111:7@s.whatsapp.net', name: 'Ann' };
    await first.saveCreds();
    await first.saveCreds();
    expect(writes).toBe(1);
    const again = await usePostgresAuthState(fence, counting());
    again.state.creds.me = { ...again.state.creds.me!, lid: undefined };
    delete again.state.creds.me.lid;
    await again.saveCreds();
    expect(writes).toBe(1);
    again.state.creds.me = { ...again.state.creds.me, lid: '200000000000001:7@lid' };
    await again.saveCreds();
    expect(writes).toBe(2);
    const third = await usePostgresAuthState(fence, deps());
    expect(third.state.creds.me?.lid).toBe('200000000000001:7@lid');
  });
  it('round-trips creds and every Signal key kind through the database (fresh cache)', async () => {
    const fence = await newFence();
    const first = await usePostgresAuthState(fence, deps());
    expect(first.hadCredentials).toBe(false);
    first.state.creds.me = { id: '15550001111:7@s.whatsapp.net', name: 'Ann' };
    await first.saveCreds();
    const preKey = Curve.generateKeyPair();
    await first.state.keys.set({
      'pre-key': { '1': preKey, '2': Curve.generateKeyPair() },
      session: { '15550002222.0': new Uint8Array([1, 2, 3]) },
      'app-state-sync-key': { AAAA: { keyData: new Uint8Array([9, 9]), timestamp: 5 } as never },
      'lid-mapping': { '15550002222': '200000000000002' },
      'device-list': { '15550002222': ['0', '7'] },
    });
    await first.state.keys.set({ 'pre-key': { '2': null } });

    const second = await usePostgresAuthState(fence, deps());
    expect(second.hadCredentials).toBe(true);
    expect(second.state.creds.me?.id).toBe('15550001111:7@s.whatsapp.net');
    expect(Buffer.from(second.state.creds.noiseKey.private)).toEqual(Buffer.from(first.state.creds.noiseKey.private));
    const preKeys = await second.state.keys.get('pre-key', ['1', '2']);
    expect(Buffer.from(preKeys['1']!.private)).toEqual(Buffer.from(preKey.private));
    expect(preKeys['2']).toBeUndefined();
    expect(Buffer.from((await second.state.keys.get('session', ['15550002222.0']))['15550002222.0']!)).toEqual(Buffer.from([1, 2, 3]));
    const appKey = (await second.state.keys.get('app-state-sync-key', ['AAAA'])).AAAA!;
    expect(appKey.constructor.name).toBe('AppStateSyncKeyData');
    expect((await second.state.keys.get('device-list', ['15550002222']))['15550002222']).toEqual(['0', '7']);
  });

  it('refuses writes once the lease is lost (WL001) and writes nothing', async () => {
    const fence = await newFence();
    const auth = await usePostgresAuthState(fence, deps());
    await db.sql`update whatsapp_sessions set lease_owner = 'someone-else', lease_epoch = lease_epoch + 1 where id = ${fence.sessionId}`;
    await expect(auth.state.keys.set({ session: { x: new Uint8Array([1]) } })).rejects.toMatchObject({ code: 'WL001' });
    await expect(auth.saveCreds()).rejects.toMatchObject({ code: 'WL001' });
    const rows = await db.sql`select 1 from whatsapp_auth_state where session_id = ${fence.sessionId}`;
    expect(rows).toHaveLength(0);
  });

  it('stores no readable key material when encrypted (no JSON, no base64 or hex of known keys)', async () => {
    const fence = await newFence();
    const auth = await usePostgresAuthState(fence, deps());
    const signed = signedKeyPair(auth.state.creds.signedIdentityKey, 1);
    await auth.saveCreds();
    await auth.state.keys.set({ 'pre-key': { '1': signed.keyPair } });
    const rows = await db.sql<{ value: Buffer }[]>`select value from whatsapp_auth_state where session_id = ${fence.sessionId}`;
    expect(rows.length).toBe(2);
    const secrets = [auth.state.creds.noiseKey.private, auth.state.creds.signedIdentityKey.private, signed.keyPair.private]
      .map((k) => Buffer.from(k));
    for (const { value } of rows) {
      const text = value.toString('latin1');
      expect(value[0]).toBe(1);
      expect(text).not.toMatch(/"type":|Buffer|private|noiseKey|"data":/);
      expect(() => JSON.parse(value.subarray(1).toString('utf8'))).toThrow();
      for (const secret of secrets) {
        expect(value.includes(secret)).toBe(false);
        expect(text.includes(secret.toString('base64'))).toBe(false);
        expect(text.includes(secret.toString('hex'))).toBe(false);
      }
    }
  });

  it('reads values sealed with an old key after rotation, and rejects a value moved to another row', async () => {
    const fence = await newFence();
    const oldKey = randomBytes(32);
    const auth = await usePostgresAuthState(fence, deps(oldKey));
    await auth.state.keys.set({ session: { a: new Uint8Array([7]), b: new Uint8Array([8]) } });
    const rotated = await usePostgresAuthState(fence, deps(randomBytes(32), [oldKey]));
    expect(Buffer.from((await rotated.state.keys.get('session', ['a'])).a!)).toEqual(Buffer.from([7]));
    await expect(usePostgresAuthState(fence, deps(randomBytes(32))).then((s) => s.state.keys.get('session', ['a'])))
      .rejects.toThrow(/not configured/);
    await db.sql`update whatsapp_auth_state set value = (select value from whatsapp_auth_state
      where session_id = ${fence.sessionId} and key_id = 'a') where session_id = ${fence.sessionId} and key_id = 'b'`;
    const fresh = await usePostgresAuthState(fence, deps(oldKey));
    await expect(fresh.state.keys.get('session', ['b'])).rejects.toThrow(/failed authentication/);
  });

  it('stores plaintext only when encryption is explicitly disabled (envelope v0)', async () => {
    const fence = await newFence();
    const auth = await usePostgresAuthState(fence, deps(null));
    await auth.saveCreds();
    const [row] = await db.sql<{ value: Buffer }[]>`select value from whatsapp_auth_state where session_id = ${fence.sessionId}`;
    expect(row!.value[0]).toBe(0);
    expect(row!.value.subarray(1).toString('utf8')).toMatch(/^\{"noiseKey"/);
  });
});
