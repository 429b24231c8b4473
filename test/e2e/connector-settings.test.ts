// Per-user messaging settings applied by a running connector without a restart: pacing, default country,
// "typing…" while a paced send waits, and pausing/resuming sending. Settings are saved through the user
// API (save_messaging_settings as the user); the connector sees them at its next sweep.
import { describe, expect, it } from 'vitest';
import {
  useConnectorFixture, asUser, createLinkedSession, queueText, randomPhone, waitFor,
} from './connector-support.ts';

const fx = useConnectorFixture({ simulator: { receiptDelayMs: 20 } });

async function linked() {
  const s = await createLinkedSession(fx.db, fx.sim);
  await waitFor(async () => fx.connector.sessions().some((c) => c.id === s.sessionId && c.open), 'the session open');
  return s;
}

const save = (userId: string, config: object, active = true) =>
  asUser(fx.db.sql, userId, (tx) => tx`select save_messaging_settings(null, ${active}, ${tx.json(config as never)})`);

/** Waits until the connector's settings cache has had a sweep after the save (one full sweep round trip). */
const afterNextSweeps = async () => {
  await fx.connector.sweep();
  await fx.connector.sweep();
};

describe('connector: messaging settings', () => {
  it('applies a pacing change to the next send without a restart', async () => {
    const s = await linked();
    const contact = fx.sim.contact(await randomPhone());
    await queueText(fx.db, s, contact.phone, 'fast 1');
    await queueText(fx.db, s, contact.phone, 'fast 2');
    await contact.waitForCount(2, { timeoutMs: 45_000 });

    await save(s.userId, { pacing: { min_interval_ms: 2500, jitter_ms: 0 } });
    await afterNextSweeps();
    await queueText(fx.db, s, contact.phone, 'slow 1');
    await contact.waitForCount(3, { timeoutMs: 45_000 });
    // Queued after slow 1 went out, so it is claimed on its own: it must still be paced against slow 1.
    await queueText(fx.db, s, contact.phone, 'slow 2');
    const got = await contact.waitForCount(4, { timeoutMs: 45_000 });
    const [slow1, slow2] = [got.find((m) => m.text === 'slow 1')!, got.find((m) => m.text === 'slow 2')!];
    // A lower bound only: the connector must have waited at least the new interval between the two sends.
    expect(slow2.at - slow1.at).toBeGreaterThanOrEqual(2400);
  }, 90_000);

  it('uses the user\'s default country for numbers written without +', async () => {
    const s = await linked();
    const contact = fx.sim.contact(await randomPhone());
    const national = `${contact.phone.slice(2, 5)} ${contact.phone.slice(5, 8)}-${contact.phone.slice(8)}`;
    const before = await queueText(fx.db, s, national, 'no country yet');
    const failed = await waitFor(async () => (await fx.db.sql`select status, error_code from outbound_messages where id = ${before.id} and status = 'failed'`)[0], 'the row failed');
    expect(failed.error_code).toBe('invalid_recipient');

    await save(s.userId, { default_country: 'US' });
    await afterNextSweeps();
    const after = await queueText(fx.db, s, national, 'with the user\'s country');
    await contact.waitForMessage({ id: after.waId }, { timeoutMs: 45_000 });
  }, 90_000);

  it('shows "typing…" to the contact while a paced send waits, when the setting is on', async () => {
    const s = await linked();
    const contact = fx.sim.contact(await randomPhone());
    await save(s.userId, { pacing: { min_interval_ms: 1500, jitter_ms: 0 }, typing_indicator: true });
    await afterNextSweeps();
    await queueText(fx.db, s, contact.phone, 'first');
    const second = await queueText(fx.db, s, contact.phone, 'second');
    const arrived = await contact.waitForMessage({ id: second.waId }, { timeoutMs: 45_000 });
    const first = contact.received().find((m) => m.text === 'first')!;
    const typing = contact.repActions().typing.filter((t) => t.from === s.phone && t.state === 'composing');
    expect(typing.length).toBeGreaterThanOrEqual(1);
    expect(typing.some((t) => t.at >= first.at && t.at <= arrived.at)).toBe(true);

    const quiet = fx.sim.contact(await randomPhone());
    await save(s.userId, { pacing: { min_interval_ms: 1500, jitter_ms: 0 }, typing_indicator: false });
    await afterNextSweeps();
    await queueText(fx.db, s, quiet.phone, 'a');
    await queueText(fx.db, s, quiet.phone, 'b');
    await quiet.waitForCount(2, { timeoutMs: 45_000 });
    expect(quiet.repActions().typing).toEqual([]);
  }, 90_000);

  it('holds queued messages while the user paused sending and sends them once resumed', async () => {
    const s = await linked();
    const contact = fx.sim.contact(await randomPhone());
    await save(s.userId, {}, false);
    await afterNextSweeps();
    const held = await queueText(fx.db, s, contact.phone, 'held');
    // Absence needs time to show: several sweeps (100 ms apart) go by without the row being sent.
    await new Promise((r) => setTimeout(r, 1500));
    const [row] = await fx.db.sql`select status, attempts from outbound_messages where id = ${held.id}`;
    expect(row).toMatchObject({ status: 'queued', attempts: 0 });
    expect(contact.received()).toEqual([]);

    await save(s.userId, {}, true);
    await contact.waitForMessage({ id: held.waId }, { timeoutMs: 45_000 });
    const [sent] = await fx.db.sql`select attempts from outbound_messages where id = ${held.id}`;
    expect(sent!.attempts).toBe(1);
  }, 90_000);
});
