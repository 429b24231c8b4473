// Issue 16.7 (messages lost under CPU load): two Baileys transactions that read one stored Signal session
// before either commits lose a ratchet update, and the contact's later messages fail with "Bad MAC".
// Each case runs test/support/session-key-race.ts twice in fresh processes, stock rc14 and patched, over
// the real Postgres auth state with a real libsignal contact; the stock run shows the loss.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createUser, type TestDatabase } from '../../../test/support/postgres.ts';
import { createStore, type Store } from '../../store/index.ts';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

let db: TestDatabase;
let store: Store;
beforeAll(async () => {
  db = await createTestDatabase();
  store = createStore(db.url, 2);
});
afterAll(async () => {
  await store.close();
  await db.drop();
});

async function race(which: 'two-sockets' | 'pn-and-lid' | 'send-and-receive', stock: boolean): Promise<Record<string, unknown>> {
  const user = await createUser(db.sql);
  const [session] = await db.sql`insert into whatsapp_sessions (user_id, status) values (${user}, 'connecting') returning id`;
  const owner = `race-${randomBytes(3).toString('hex')}`;
  const epoch = await store.sessions.acquireLease(session!.id, owner, 60_000);
  const args = [db.url, session!.id, owner, String(epoch), which, ...(stock ? ['--stock'] : [])];
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'test/support/session-key-race.ts'), ...args], { cwd: root });
  return JSON.parse(stdout);
}

describe('one Signal session, two transactions at once (issue 16.7)', () => {
  it('a replaced socket still decrypting beside its successor: stock rc14 loses a ratchet step (Bad MAC), patched both share one lock', async () => {
    const stock = await race('two-sockets', true);
    expect(stock).toMatchObject({ sameCapability: false, m1: 'm1', r1: 'r1', m2: 'm2', m3: 'm3', r2: 'r2' });
    // libsignal tries every stored session of the contact; each fails its MAC check (the lost message)
    expect(stock.m4).toBe('error: No matching sessions found for message');
    const patched = await race('two-sockets', false);
    expect(patched).toEqual({ sameCapability: true, m1: 'm1', r1: 'r1', m2: 'm2', m3: 'm3', r2: 'r2', m4: 'm4' });
  }, 60_000);

  it('one contact addressed by its LID and its phone-number jid: stock rc14 runs both under different locks and loses a step', async () => {
    const stock = await race('pn-and-lid', true);
    expect(stock).toMatchObject({ m2: 'm2', m3: 'm3', r2: 'r2' });
    // libsignal tries every stored session of the contact; each fails its MAC check (the lost message)
    expect(stock.m4).toBe('error: No matching sessions found for message');
    const patched = await race('pn-and-lid', false);
    expect(patched).toEqual({ sameCapability: true, m1: 'm1', r1: 'r1', m2: 'm2', m3: 'm3', r2: 'r2', m4: 'm4' });
  }, 60_000);

  it('a send committing while a message of the same contact is decrypted: stock rc14 forgets the decrypt (the message decrypts twice)', async () => {
    const stock = await race('send-and-receive', true);
    expect(stock).toMatchObject({ m2: 'm2', r2: 'r2', m2Replayed: 'm2' });
    const patched = await race('send-and-receive', false);
    expect(patched).toMatchObject({ m2: 'm2', r2: 'r2', m3: 'm3' });
    expect(patched.m2Replayed).toMatch(/^error: /);
  }, 60_000);
});
