// Account restrictions through the connector (issue 12 §2.6) against the simulator's reachout time-lock
// (test/sim/handlers/restrictions.ts: 463 in the server's ack for messages to new contacts, established chats
// relayed; the w:mex time-lock query; the NotificationUserReachoutTimelockUpdate push). Stock rc14 on a 463 reports
// status ERROR "Your account has been restricted" and never asks for the lock (test/sim/account-2026.test.ts); the
// connector used to retry such a row until it failed (send_failed), every retry another refused message to a new
// contact. Now the row says restricted_until / restriction_kind, sends to new contacts are held (queued, not failed),
// chats go on, and the held rows go out when the lock ends. The new-chat cap is asked at the same moments and kept on
// the row.
import { describe, expect, it } from 'vitest';
import {
  useConnectorFixture, createLinkedSession, queueText, randomPhone, sessionRow, waitFor,
} from './connector-support.ts';

const fx = useConnectorFixture({ simulator: { receiptDelayMs: 10 } });

const timelockQueries = (phone: string) => fx.sim.linkEvents('timelock_query').filter((e) => `+${e.detail?.phone}` === phone);
const outbound = async (id: string) => (await fx.db.sql`select * from outbound_messages where id = ${id}`)[0]!;

/** A linked session with one existing chat: the contact wrote first (inbound row stored). */
async function sessionWithChat() {
  const session = await createLinkedSession(fx.db, fx.sim);
  await waitFor(async () => fx.connector.sessions().find((s) => s.id === session.sessionId && s.open), 'the session open');
  // the connector asks for the time-lock on every socket open (rc14 never does by itself)
  await waitFor(async () => timelockQueries(session.phone).length > 0, 'the time-lock query at open');
  const known = fx.sim.contact(await randomPhone(), { name: 'Known' });
  const waId = await known.sendText(session.phone, 'hola, ¿tienen stock?');
  await waitFor(async () => (await fx.db.sql`select 1 from inbound_messages where wa_message_id = ${waId}`)[0], 'the inbound row');
  return { session, known, stranger: fx.sim.contact(await randomPhone(), { name: 'Stranger' }) };
}

describe("connector: WhatsApp's cap on new chats", () => {
  // rc14 Socket/socket.js fetchNewChatMessageCap (w:mex MESSAGE_CAPPING_INFO) answered by the simulator's
  // handleMexQuery (test/sim/handlers/restrictions.ts): quota 50 per UTC day, used = the new chats its companions began
  it('asked at socket open: the row carries the quota, the count, the cycle end and the status the server reports; after a message to a new contact the push brings the new count', async () => {
    const { session, stranger } = await sessionWithChat();
    const capQueries = () => fx.sim.linkEvents('cap_query').filter((e) => `+${e.detail?.phone}` === session.phone);
    const first = await waitFor(async () => {
      const r = await sessionRow(fx.db, session.sessionId);
      return r.new_chat_quota !== null ? r : null;
    }, 'the cap on the session row');
    expect(capQueries().length).toBeGreaterThan(0);
    // the contact wrote first: not a chat this account began
    expect(first).toMatchObject({ new_chat_quota: 50, new_chats_used: 0, new_chat_cap_status: 'NONE' });
    const dayMs = 86_400_000;
    const ends = new Date(first.new_chat_cycle_ends_at).getTime();
    expect(ends % dayMs).toBe(0); // the sim's cycle: the UTC day
    expect(ends).toBeGreaterThan(Date.now());
    expect(ends).toBeLessThanOrEqual(Date.now() + dayMs);

    const cold = await queueText(fx.db, session, stranger.phone, 'hola, te escribo por primera vez');
    await stranger.waitForMessage({ id: cold.waId }, { timeoutMs: 20_000 });
    fx.sim.pushNewChatCap(session.phone);
    const after = await waitFor(async () => {
      const r = await sessionRow(fx.db, session.sessionId);
      return r.new_chats_used === 1 ? r : null;
    }, 'the pushed count on the row');
    expect(after).toMatchObject({ new_chat_quota: 50, new_chat_cap_status: 'NONE', status: 'connected' });
  });
});

describe('connector: the reachout time-lock (463)', () => {
  it("the server's push: the row says restricted until when and which kind; a new contact's row is held without being sent, a chat goes on; after the lock the held row goes out and the row is cleared", async () => {
    const { session, known, stranger } = await sessionWithChat();
    const until = fx.sim.restrict(session.phone, { durationMs: 6000 });
    const row = await waitFor(async () => {
      const r = await sessionRow(fx.db, session.sessionId);
      return r.restricted_until ? r : null;
    }, 'restricted_until on the session row');
    expect(row.status).toBe('connected');
    expect(row.restriction_kind).toBe('RESTRICT_ALL_COMPANIONS');
    expect(Math.abs(new Date(row.restricted_until).getTime() - until.getTime())).toBeLessThan(1000);

    const refusalsBefore = fx.sim.linkEvents('restricted_ack').length;
    const cold = await queueText(fx.db, session, stranger.phone, 'oferta para ti');
    const warm = await queueText(fx.db, session, known.phone, 'sí, hay stock');
    await known.waitForMessage({ id: warm.waId }, { timeoutMs: 20_000 });
    const held = await waitFor(async () => {
      const r = await outbound(cold.id);
      return r.error_code === 'account_restricted' ? r : null;
    }, 'the cold row held');
    expect(held).toMatchObject({ status: 'queued', attempts: 0 });
    // asked at open, on the push, nothing more (rc14 emits the answer of each query as an update: no query loop)
    expect(timelockQueries(session.phone).length).toBeLessThanOrEqual(3);
    expect(new Date(held.next_attempt_at).getTime()).toBeGreaterThanOrEqual(until.getTime() - 1000);
    expect(stranger.received()).toEqual([]);
    // held, not tried: WhatsApp saw no message to the new contact
    expect(fx.sim.linkEvents('restricted_ack').length - refusalsBefore).toBe(0);

    await stranger.waitForMessage({ id: cold.waId }, { timeoutMs: 30_000 });
    await waitFor(async () => ['sent', 'delivered', 'read'].includes((await outbound(cold.id)).status), 'the held row sent');
    await waitFor(async () => (await sessionRow(fx.db, session.sessionId)).restricted_until === null, 'the restriction cleared');
    expect((await sessionRow(fx.db, session.sessionId)).restriction_kind).toBeNull();
  });

  it('a lock the connector did not hear of: the first 463 makes it ask, that row and the later ones to new contacts are held (one refusal, none failed), and go out after it', async () => {
    const { session, stranger } = await sessionWithChat();
    const other = fx.sim.contact(await randomPhone());
    const refusalsBefore = fx.sim.linkEvents('restricted_ack').length;
    const until = fx.sim.restrict(session.phone, { durationMs: 5000, push: false });
    const first = await queueText(fx.db, session, stranger.phone, 'primer contacto');
    const held = await waitFor(async () => {
      const r = await outbound(first.id);
      return r.error_code === 'account_restricted' ? r : null;
    }, 'the refused row held');
    expect(held.status).toBe('queued');
    expect((await sessionRow(fx.db, session.sessionId)).restriction_kind).toBe('RESTRICT_ALL_COMPANIONS');
    const second = await queueText(fx.db, session, other.phone, 'segundo contacto');
    await waitFor(async () => (await outbound(second.id)).error_code === 'account_restricted', 'the next cold row held');
    expect(fx.sim.linkEvents('restricted_ack').length - refusalsBefore).toBe(1);
    // it asked after the 463 and heard the lock is on
    expect(timelockQueries(session.phone).at(-1)?.detail?.active).toBe('true');
    expect(Date.now()).toBeLessThan(until.getTime());

    await stranger.waitForMessage({ id: first.waId }, { timeoutMs: 30_000 });
    await other.waitForMessage({ id: second.waId }, { timeoutMs: 30_000 });
    const rows = await fx.db.sql`select status from outbound_messages where id = any(${[first.id, second.id]})`;
    expect(rows.every((r) => r.status !== 'failed')).toBe(true);
  });
});
