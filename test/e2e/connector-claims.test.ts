// Issue 16: the outbound claim loop. A claim that returns fewer rows than asked took every due row, so the loop
// stops there (before: it claimed once more and got nothing, on every sweep). And the hole that rule could open:
// a claim whose `ready` step drops rows it picked (a newer row of an address whose older row is locked) returns
// fewer than asked while due rows remain past its limit; they must still go out without another sweep.
// Claims are counted by the connector's own metric (whatsapp_outbound_claims_total, one per claim statement).
// No timer sweep and no Realtime: the test rings (connector.sweep()) and nothing else claims. Pacing (1 s
// between a session's sends) leaves a wide gap between the first and the second send for the count.
import { describe, expect, it } from 'vitest';
import { useConnectorFixture, queueText, randomPhone, waitFor } from './connector-support.ts';

const fx = useConnectorFixture({
  linkedSessions: 2,
  env: { SWEEP_INTERVAL_MS: String(3_600_000), OUTBOUND_BATCH_SIZE: '4', SEND_MIN_INTERVAL_MS: '1000' },
});

async function claims(): Promise<Record<'all' | 'fewer' | 'none', number>> {
  const text = await (await fetch(`http://127.0.0.1:${fx.connector.healthPort}/metrics`)).text();
  const count = (rows: string) => Number(new RegExp(`whatsapp_outbound_claims_total\\{rows="${rows}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { all: count('all'), fewer: count('fewer'), none: count('none') };
}

/**
 * The counts once the connector stopped claiming: opening a session rings a sweep of its own (connector/runtime.ts
 * onOpen), which may still be going when a test starts; nothing else claims here unless rows move.
 */
async function settledClaims(): Promise<Record<'all' | 'fewer' | 'none', number>> {
  let last = await claims();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await claims();
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
}

const statuses = async (ids: string[]) =>
  (await fx.db.sql<{ id: string; status: string }[]>`select id, status from outbound_messages where id = any(${ids}) order by created_at, id`)
    .map((r) => r.status);
const isSent = (status: string) => ['sent', 'delivered', 'read'].includes(status);

describe('connector: the outbound claim loop', () => {
  it('3 due rows, 4 asked: one claim takes them, no empty claim follows it', async () => {
    const s = fx.sessions[0]!;
    const contact = await randomPhone();
    const before = await settledClaims();
    const [a, b, c] = [await queueText(fx.db, s, contact, 'one'), await queueText(fx.db, s, contact, 'two'), await queueText(fx.db, s, contact, 'three')];
    await fx.connector.sweep();
    // the second send is paced 1 s after the first; the loop's own follow-up claim (before: an empty one) is long done
    await fx.sim.contact(contact).waitForCount(2, { timeoutMs: 45_000 });
    const after = await claims();
    expect({ all: after.all - before.all, fewer: after.fewer - before.fewer, none: after.none - before.none }).toEqual({ all: 0, fewer: 1, none: 0 });
    await waitFor(async () => (await statuses([a.id, b.id, c.id])).every(isSent), 'the three rows sent');
    expect(fx.sim.contact(contact).received().map((m) => m.text)).toEqual(['one', 'two', 'three']);
  }, 90_000);

  it('rows the claim picked but dropped (their older row is locked) do not strand the due rows past its limit', async () => {
    const s = fx.sessions[1]!;
    const [held, other] = [await randomPhone(), await randomPhone()];
    await settledClaims();
    const first = await queueText(fx.db, s, held, 'held 1');
    const lock = await fx.db.sql.reserve();
    try {
      await lock`begin`;
      await lock`select 1 from outbound_messages where id = ${first.id} for update`; // as a slow transaction would
      const second = await queueText(fx.db, s, held, 'held 2');
      // set-up check: nothing claimed it between its insert and the lock (nothing in this file sweeps by itself)
      expect(await statuses([first.id])).toEqual(['queued']);
      const others: { id: string }[] = [];
      for (let i = 1; i <= 5; i++) others.push(await queueText(fx.db, s, other, `other ${i}`));
      // 4 asked: the claim skips 'held 1' (locked), picks 'held 2' and 'other 1-3', drops 'held 2' (an older row
      // of its address is still queued): 3 come back. 'other 4-5' lie past the limit.
      await fx.connector.sweep();
      await waitFor(async () => (await statuses(others.map((o) => o.id))).every(isSent), 'every row to the other contact sent', 60_000);
      expect(fx.sim.contact(other).received().map((m) => m.text)).toEqual(others.map((_, i) => `other ${i + 1}`));
      expect(await statuses([first.id, second.id])).toEqual(['queued', 'queued']);
      expect(fx.sim.contact(held).received()).toEqual([]);
    } finally {
      await lock`rollback`;
      lock.release();
    }
    await fx.connector.sweep();
    await fx.sim.contact(held).waitForCount(2, { timeoutMs: 45_000 });
    expect(fx.sim.contact(held).received().map((m) => m.text)).toEqual(['held 1', 'held 2']);
  }, 120_000);
});
