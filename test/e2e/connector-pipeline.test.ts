// Issue 16 throughput: a session's sends are pipelined (the next frame goes out without waiting for the
// previous one's ack), per-recipient order and one copy per id hold, and a socket that drops with sends
// on the wire loses none of them. Real Baileys against the simulator; the simulator delays what it sends
// back (acks, receipts) so the in-flight window is long and the checks do not depend on speed.
import { describe, expect, it } from 'vitest';
import { useConnectorFixture, deliveryReport, queueText, randomPhone, waitFor, type LinkedSession } from './connector-support.ts';


const fx = useConnectorFixture({
  simulator: { receiptDelayMs: 20 },
  linkedSessions: 3,
  // More pool connections than the default 4: the last case holds a row lock for seconds, and every claim
  // renewal that includes that row waits on it meanwhile (a real slow commit would not last that long).
  env: { DATABASE_POOL_SIZE: '12' },
});

const statuses = async (ids: string[]) =>
  (await fx.db.sql<{ id: string; status: string }[]>`select id, status from outbound_messages where id = any(${ids})`)
    .map((r) => r.status);

/** One message first, so device lists, Signal sessions and the on-WhatsApp answer are cached. */
async function warmUp(s: LinkedSession, contact: string) {
  const warm = await queueText(fx.db, s, contact, 'warm-up');
  await fx.sim.contact(contact).waitForMessage({ id: warm.waId }, { timeoutMs: 45_000 });
  await waitFor(async () => (await statuses([warm.id]))[0] !== 'sending', 'warm-up acked');
}

describe('connector: pipelined sends', () => {
  it('writes a session\'s queued rows without waiting for each ack: all 8 reach the contact in order while none is acked yet', async () => {
    const s = fx.sessions[0]!;
    const contact = await randomPhone();
    await warmUp(s, contact);
    fx.sim.fault(s.phone, 'delay', { ms: 20_000 }); // everything WhatsApp sends back, acks included, arrives 20 s late
    const queued: { id: string; waId: string }[] = [];
    for (let i = 0; i < 8; i++) queued.push(await queueText(fx.db, s, contact, `pipelined ${i}`));
    const got = await fx.sim.contact(contact).waitForCount(9, { timeoutMs: 60_000 });
    // Stop-and-wait would have sent one and waited 20 s for its ack before the next.
    expect(await statuses(queued.map((q) => q.id))).toEqual(queued.map(() => 'sending'));
    expect(got.slice(1).map((m) => m.text)).toEqual(queued.map((_, i) => `pipelined ${i}`));
    fx.sim.clearFaults(s.phone);
    await waitFor(async () => (await statuses(queued.map((q) => q.id))).every((st) => ['sent', 'delivered', 'read'].includes(st)),
      'every row sent', 45_000);
    for (const q of queued) expect(fx.sim.contact(contact).receivedCount(q.waId)).toBe(1);
  }, 120_000);

  it('a socket dropped with sends in flight: every row reaches the contact, in order, and ends sent', async () => {
    const s = fx.sessions[1]!;
    const contact = await randomPhone();
    await warmUp(s, contact);
    fx.sim.fault(s.phone, 'delay', { ms: 5000 });
    const queued: { id: string; waId: string }[] = [];
    for (let i = 0; i < 12; i++) queued.push(await queueText(fx.db, s, contact, `in flight ${i}`));
    const onTheWire = (await fx.sim.contact(contact).waitForCount(1 + 6, { timeoutMs: 30_000 })).slice(1).map((m) => m.id);
    // the rows WhatsApp already has are unacked (rows queued later may not even be claimed yet)
    const inFlight = queued.filter((q) => onTheWire.includes(q.waId));
    expect(inFlight.length).toBeGreaterThanOrEqual(6);
    expect(await statuses(inFlight.map((q) => q.id))).toEqual(inFlight.map(() => 'sending'));
    fx.sim.fault(s.phone, 'close'); // unacked sends on the wire (their acks die with the socket): retried under the same ids
    fx.sim.clearFaults(s.phone);
    await waitFor(async () => (await statuses(queued.map((q) => q.id))).every((st) => ['sent', 'delivered', 'read'].includes(st)),
      'every row sent after the drop', 90_000);
    const texts = fx.sim.contact(contact).received().slice(1).map((m) => m.text);
    // A copy WhatsApp already had may come again under its id (the phone shows one); first copies keep the order.
    const expected = queued.map((_, i) => `in flight ${i}`);
    const report = JSON.stringify([...new Set(texts)]) === JSON.stringify(expected) ? undefined : await deliveryReport(fx.db, fx.sim, contact);
    expect([...new Set(texts)], report).toEqual(expected);
    for (const q of queued) expect(fx.sim.contact(contact).receivedCount(q.waId)).toBeGreaterThanOrEqual(1);
  }, 150_000);

  // A drop puts every row in hand back in the queue, one retry statement each. Under load those statements
  // commit in any order and far apart; while the oldest is still 'sending' (claimed by us, so it does not
  // hold newer rows back in claim_ready_outbound_messages), the newer ones are due again. A row lock held
  // by the test on the oldest row makes its write-back wait, as a slow commit would: the session must
  // claim nothing until every row it had in hand is back, so the resends keep the order.
  it('a drop whose oldest row is slow to go back to the queue: the newer rows wait for it, the contact gets them in order', async () => {
    const s = fx.sessions[2]!;
    const contact = await randomPhone();
    await warmUp(s, contact);
    fx.sim.fault(s.phone, 'drop', { direction: 'in', tag: 'message' }); // the frames die with the socket: WhatsApp never has them
    const queued: { id: string; waId: string }[] = [];
    for (let i = 0; i < 8; i++) queued.push(await queueText(fx.db, s, contact, `in hand ${i}`));
    await waitFor(async () => (await fx.db.sql`select 1 from outbound_messages where id = any(${queued.map((q) => q.id)})
      and status = 'sending' and attempts = 1`).length === queued.length, 'every row claimed');
    const lock = await fx.db.sql.reserve();
    try {
      await lock`begin`;
      await lock`select 1 from outbound_messages where id = ${queued[0]!.id} for update`;
      fx.sim.fault(s.phone, 'close');
      fx.sim.clearFaults(s.phone);
      await waitFor(async () => (await fx.db.sql`select 1 from outbound_messages where id = any(${queued.slice(1).map((q) => q.id)})
        and status = 'queued'`).length === queued.length - 1, 'the newer rows back in the queue', 30_000);
      // long enough for the reconnect and several claims (100 ms retry delay, 100 ms sweeps) if they were allowed
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(fx.sim.contact(contact).received().slice(1).map((m) => m.text)).toEqual([]);
    } finally {
      await lock`rollback`;
      lock.release();
    }
    await waitFor(async () => (await statuses(queued.map((q) => q.id))).every((st) => ['sent', 'delivered', 'read'].includes(st)),
      'every row sent after the drop', 90_000);
    const got = fx.sim.contact(contact).received().slice(1).map((m) => m.text);
    const expected = queued.map((_, i) => `in hand ${i}`);
    const report = JSON.stringify(got) === JSON.stringify(expected) ? undefined
      : `${await deliveryReport(fx.db, fx.sim, contact)}\nsim: ${JSON.stringify(fx.sim.stats())}`;
    expect(got, report).toEqual(expected);
  }, 150_000);
});
