// Baileys patch live-messages-in-order (connector/whatsapp/baileys-patches/patches.ts): one contact's burst of
// messages reaches messages.upsert in the order its <message> nodes reached the socket. Each case runs
// test/support/live-message-order.ts in a fresh process, stock rc14 (`--stock`, no patch registered) and
// patched, over the connector's real Postgres auth state, linked to the simulator this file runs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../connector/store/index.ts';
import { createLinkedSession, createTestDatabase, randomPhone, startSimulator, TEST_KEY, type Simulator, type TestDatabase } from './connector-support.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const BURST = 30;

let db: TestDatabase;
let store: Store;
let sim: Simulator;
beforeAll(async () => {
  db = await createTestDatabase();
  store = createStore(db.url, 2);
  sim = await startSimulator();
});
afterAll(async () => {
  await sim?.stop();
  await store?.close();
  await db?.drop();
});

async function burst(stock: boolean): Promise<{ gated: boolean; wire: string[]; upserts: string[]; sent: string[] }> {
  const session = await createLinkedSession(db, sim);
  const contactPhone = await randomPhone();
  const owner = `order-${randomBytes(3).toString('hex')}`;
  const epoch = await store.sessions.acquireLease(session.sessionId, owner, 120_000);
  const args = [db.url, session.sessionId, owner, String(epoch), TEST_KEY, sim.url, sim.rootPublicKeyBase64, String(BURST), contactPhone.slice(1), ...(stock ? ['--stock'] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/support/live-message-order.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('open');
    const contact = sim.contact(contactPhone);
    const sent: string[] = [];
    for (let i = 0; i < BURST; i++) sent.push(await contact.sendText(session.phone, `burst ${i}`));
    const result = JSON.parse((await lines.next()).value as string) as { gated: boolean; wire: string[]; upserts: string[] };
    return { ...result, sent };
  } finally {
    child.kill();
  }
}

describe('one contact\'s burst of live messages (Baileys patch live-messages-in-order)', () => {
  it('stock rc14 emits messages.upsert out of the order the nodes arrived in', async () => {
    const { gated, wire, upserts, sent } = await burst(true);
    expect(gated).toBe(true);
    expect(wire).toEqual(sent);
    expect(upserts.slice().sort()).toEqual(sent.slice().sort());
    // the first message, whose lookup was the slow one, is overtaken by the ones behind it
    expect(upserts[0]).not.toBe(wire[0]);
    expect(upserts).not.toEqual(wire);
  });

  it('patched rc14 emits them in arrival order', async () => {
    const { gated, wire, upserts, sent } = await burst(false);
    expect(gated).toBe(true);
    expect(wire).toEqual(sent);
    expect(upserts).toEqual(wire);
  });
});
