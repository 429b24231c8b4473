// The connector's state transitions and the link request under concurrency.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, createTestDatabase, createUser, type TestDatabase } from '../support/postgres.ts';
import {
  expectPgError, insertConnectedSession, insertOutbound, insertSession, randomOwner, randomPhone,
  type OutboundRow, type SessionRow,
} from './helpers.ts';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

async function value<T>(query: postgres.PendingQuery<postgres.Row[]>): Promise<T> {
  const [row] = await query;
  return Object.values(row!)[0] as T;
}
const outbound = async (id: string) =>
  (await db.sql<OutboundRow[]>`select * from outbound_messages where id = ${id}`)[0]!;

/** A connected session held by `owner`, with one message claimed and sent through the real functions. */
async function sentMessage(): Promise<{ session: SessionRow; message: OutboundRow; owner: string }> {
  const owner = randomOwner();
  const session = await insertConnectedSession(db.sql, {}, owner);
  const queued = await insertOutbound(db.sql, session);
  await db.sql`select * from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
  expect(await value(db.sql`select mark_outbound_sent(${queued.id}, ${owner}, '15557770000@s.whatsapp.net')`)).toBe(true);
  return { session, message: await outbound(queued.id), owner };
}

describe('record_outbound_receipt', () => {
  const receipt = (m: OutboundRow, status: string) =>
    value<boolean>(db.sql`select record_outbound_receipt(${m.session_id}, ${m.wa_message_id}, ${status})`);

  it('moves a message forward only: sent → delivered → read, never back', async () => {
    const { message } = await sentMessage();
    expect(message.status).toBe('sent');
    expect(await receipt(message, 'delivered')).toBe(true);
    expect(await receipt(message, 'delivered')).toBe(false);
    expect(await receipt(message, 'read')).toBe(true);
    expect(await receipt(message, 'delivered')).toBe(false);
    expect(await receipt(message, 'read')).toBe(false);
    const row = await outbound(message.id);
    expect(row.status).toBe('read');
    expect(row.delivered_at).toBeInstanceOf(Date);
    expect(row.read_at).toBeInstanceOf(Date);
  });

  it('a read receipt straight after sent also records delivery', async () => {
    const { message } = await sentMessage();
    expect(await receipt(message, 'read')).toBe(true);
    const row = await outbound(message.id);
    expect([row.status, row.delivered_at instanceof Date, row.read_at instanceof Date]).toEqual(['read', true, true]);
  });

  it('a receipt that overtakes the send acknowledgement completes the claim', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const queued = await insertOutbound(db.sql, session);
    await db.sql`select * from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
    expect(await receipt(await outbound(queued.id), 'delivered')).toBe(true);
    const row = await outbound(queued.id);
    expect([row.status, row.claimed_by, row.sent_at instanceof Date]).toEqual(['delivered', null, true]);
  });

  it('ignores receipts for never-tried queued or failed messages and for another session\'s message id', async () => {
    const { session, message, owner } = await sentMessage();
    const queued = await insertOutbound(db.sql, session, { next_attempt_at: new Date(Date.now() + 3_600_000) });
    expect(await receipt(queued, 'delivered')).toBe(false);
    // Another recipient: the claim never lets a row overtake an older one waiting for its retry.
    const failing = await insertOutbound(db.sql, session, { recipient: '+15557770099' });
    await db.sql`select * from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
    await db.sql`select fail_outbound_message(${failing.id}, ${owner}, 'not_on_whatsapp', 'The number is not on WhatsApp')`;
    expect(await receipt(failing, 'read')).toBe(false);
    const other = await insertConnectedSession(db.sql);
    expect(await value(db.sql`select record_outbound_receipt(${other.id}, ${message.wa_message_id}, 'read')`)).toBe(false);
    expect((await outbound(queued.id)).status).toBe('queued');
    expect((await outbound(failing.id)).status).toBe('failed');
    expect((await outbound(message.id)).status).toBe('sent');
  });

  it('settles a row waiting for its retry (the socket closed before the ack, but WhatsApp had it), not an untried one', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const tried = await insertOutbound(db.sql, session);
    await db.sql`select * from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
    await db.sql`select retry_outbound_message(${tried.id}, ${owner}, '1 hour', 'send_error', 'the connection closed')`;
    const untried = await insertOutbound(db.sql, session);
    expect(await receipt(untried, 'delivered')).toBe(false);
    expect(await receipt(tried, 'delivered')).toBe(true);
    const row = await outbound(tried.id);
    expect([row.status, row.error_code, row.error, row.sent_at instanceof Date, row.delivered_at instanceof Date])
      .toEqual(['delivered', null, null, true, true]);
    expect((await outbound(untried.id)).status).toBe('queued');
    expect(await db.sql`select id from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes') where id = ${tried.id}`).toHaveLength(0);
  });

  it('refuses a receipt status other than delivered or read (22023)', async () => {
    const { message } = await sentMessage();
    await expectPgError(db.sql`select record_outbound_receipt(${message.session_id}, ${message.wa_message_id}, 'sent')`, '22023');
  });
});

describe('batched outbound transitions (one statement for many rows)', () => {
  it('mark_outbound_messages_sent moves only the rows the caller still claims, and returns their ids', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const rows = [await insertOutbound(db.sql, session, { recipient: '+15557770001' }), await insertOutbound(db.sql, session, { recipient: '+15557770002' }),
      await insertOutbound(db.sql, session, { recipient: '+15557770003' })];
    await db.sql`select * from claim_ready_outbound_messages(${owner}, array[${session.id}]::uuid[], 10, '5 minutes')`;
    await db.sql`select retry_outbound_message(${rows[2]!.id}, ${owner}, '1 hour', 'send_error', 'closed')`;
    const other = await insertOutbound(db.sql, await insertConnectedSession(db.sql, {}, randomOwner()));
    const moved = await db.sql<{ id: string }[]>`select id from mark_outbound_messages_sent(${owner},
      ${[rows[0]!.id, rows[1]!.id, rows[2]!.id, other.id]}::uuid[], array['1@s.whatsapp.net', '2@s.whatsapp.net', '3@s.whatsapp.net', '4@s.whatsapp.net']) as id`;
    expect(moved.map((r) => r.id).sort()).toEqual([rows[0]!.id, rows[1]!.id].sort());
    const after = await Promise.all([...rows, other].map((r) => outbound(r.id)));
    expect(after.map((r) => [r.status, r.recipient_jid, r.claimed_by])).toEqual([
      ['sent', '1@s.whatsapp.net', null], ['sent', '2@s.whatsapp.net', null], ['queued', null, null], ['queued', null, null]]);
  });

  it('record_outbound_receipts takes many sessions at once, the furthest status of an id listed twice, forward only', async () => {
    const a = await sentMessage();
    const b = await sentMessage();
    const n = await value<number>(db.sql`select record_outbound_receipts(
      ${[a.message.session_id, a.message.session_id, b.message.session_id, b.message.session_id]}::uuid[],
      ${[a.message.wa_message_id, a.message.wa_message_id, b.message.wa_message_id, a.message.wa_message_id]}::text[],
      array['read', 'delivered', 'delivered', 'delivered']::outbound_status[])`);
    // the last pair names a's id under b's session: it matches nothing
    expect(n).toBe(2);
    expect([(await outbound(a.message.id)).status, (await outbound(b.message.id)).status]).toEqual(['read', 'delivered']);
    expect(await value<number>(db.sql`select record_outbound_receipts(array[${b.message.session_id}]::uuid[],
      array[${b.message.wa_message_id}], array['delivered']::outbound_status[])`)).toBe(0);
  });

  it('record_outbound_receipts refuses other statuses and arrays of different lengths (22023), writing nothing', async () => {
    const { message } = await sentMessage();
    await expectPgError(db.sql`select record_outbound_receipts(array[${message.session_id}]::uuid[], array[${message.wa_message_id}],
      array['sent']::outbound_status[])`, '22023');
    await expectPgError(db.sql`select record_outbound_receipts(array[${message.session_id}]::uuid[], array[${message.wa_message_id}, 'x'],
      array['read', 'read']::outbound_status[])`, '22023');
    expect((await outbound(message.id)).status).toBe('sent');
  });
});

describe('outbound retries and failures', () => {
  it('a transient error requeues the row for later; a permanent one fails it with a readable reason', async () => {
    const owner = randomOwner();
    const session = await insertConnectedSession(db.sql, {}, owner);
    const [a, b] = [await insertOutbound(db.sql, session), await insertOutbound(db.sql, session)];
    await db.sql`select * from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
    expect(await value(db.sql`select retry_outbound_message(${a.id}, ${owner}, '1 hour', 'timeout', 'WhatsApp did not answer')`)).toBe(true);
    expect(await value(db.sql`select fail_outbound_message(${b.id}, ${owner}, 'not_on_whatsapp', 'The number is not on WhatsApp')`)).toBe(true);
    expect(await db.sql`select id from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`).toHaveLength(0); // not due yet
    const [ra, rb] = [await outbound(a.id), await outbound(b.id)];
    expect([ra.status, ra.claimed_by, ra.error_code, ra.attempts]).toEqual(['queued', null, 'timeout', 1]);
    expect([rb.status, rb.error_code, rb.error, rb.failed_at instanceof Date]).toEqual(
      ['failed', 'not_on_whatsapp', 'The number is not on WhatsApp', true]);
  });

  it('fail_unsent_messages fails queued and sending rows of a session and leaves sent ones alone', async () => {
    const { session, message, owner } = await sentMessage();
    const sending = await insertOutbound(db.sql, session);
    await db.sql`select * from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
    const queued = await insertOutbound(db.sql, session);
    expect(await value(db.sql`select fail_unsent_messages(${session.id}, 'logged_out', 'The WhatsApp session was logged out')`)).toBe(2);
    expect([(await outbound(sending.id)).status, (await outbound(queued.id)).status, (await outbound(message.id)).status])
      .toEqual(['failed', 'failed', 'sent']);
  });
});

describe('queueing on a finished session', () => {
  it('is refused with WL409 for every caller, since nothing would ever send or fail the row', async () => {
    for (const status of ['logged_out', 'replaced', 'failed', 'expired']) {
      const finished = await insertSession(db.sql, { status });
      await expectPgError(insertOutbound(db.sql, finished), 'WL409');
      await expectPgError(asUser(db.sql, finished.user_id, (tx) =>
        tx`insert into outbound_messages (session_id, recipient, text) values (${finished.id}, '+15557770000', 'hi')`), 'WL409');
    }
    const disconnected = await insertSession(db.sql, { status: 'disconnected', phone_number: randomPhone() });
    expect((await insertOutbound(db.sql, disconnected)).status).toBe('queued'); // sent after the next connect
  });
});

describe('complete_session_link', () => {
  it('connects the new session and marks the older active session of the same phone replaced', async () => {
    const phone = randomPhone();
    const older = await insertConnectedSession(db.sql, { phone_number: phone });
    const finished = await insertSession(db.sql, { status: 'logged_out', phone_number: phone });
    const owner = randomOwner();
    const linking = await insertSession(db.sql, { status: 'connecting' });
    const epoch = await value<string>(db.sql`select acquire_session_lease(${linking.id}, ${owner}, '1 hour')`);

    const replaced = await db.sql`select * from complete_session_link(
      ${linking.id}, ${owner}, ${epoch}, ${phone}, ${`${phone.slice(1)}@s.whatsapp.net`}, '123@lid', 'Alice')`;
    expect(replaced.map((r) => Object.values(r)[0])).toEqual([older.id]);

    const rows = await db.sql`select id, status, phone_number, push_name, last_error, connected_at is not null as connected
      from whatsapp_sessions where id in (${older.id}, ${finished.id}, ${linking.id})`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(linking.id)).toMatchObject({ status: 'connected', phone_number: phone, push_name: 'Alice', connected: true });
    expect(byId.get(older.id)).toMatchObject({ status: 'replaced' });
    expect(byId.get(older.id)!.last_error).toMatch(/replaced/);
    expect(byId.get(finished.id)).toMatchObject({ status: 'logged_out' });
  });

  it('fails the unsent rows of the replaced session (nothing would ever send them)', async () => {
    const phone = randomPhone();
    const olderOwner = randomOwner('older');
    const older = await insertConnectedSession(db.sql, { phone_number: phone }, olderOwner);
    const sending = await insertOutbound(db.sql, older);
    await db.sql`select * from claim_ready_outbound_messages(${olderOwner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
    const queued = await insertOutbound(db.sql, older);
    const owner = randomOwner();
    const linking = await insertSession(db.sql, { status: 'connecting' });
    const epoch = await value<string>(db.sql`select acquire_session_lease(${linking.id}, ${owner}, '1 hour')`);
    await db.sql`select * from complete_session_link(${linking.id}, ${owner}, ${epoch}, ${phone}, 'x@s.whatsapp.net', null, null)`;
    for (const id of [sending.id, queued.id]) {
      expect(await outbound(id)).toMatchObject({ status: 'failed', error_code: 'session_replaced', claimed_by: null });
    }
  });

  it('replaces nothing when the phone has no other active session', async () => {
    const owner = randomOwner();
    const linking = await insertSession(db.sql, { status: 'qr', qr: '2@qr', qr_expires_at: new Date(Date.now() + 20_000) });
    const epoch = await value<string>(db.sql`select acquire_session_lease(${linking.id}, ${owner}, '1 hour')`);
    expect(await db.sql`select * from complete_session_link(${linking.id}, ${owner}, ${epoch}, ${randomPhone()}, 'x@s.whatsapp.net', null, null)`)
      .toHaveLength(0);
    const [row] = await db.sql`select status, qr, qr_expires_at from whatsapp_sessions where id = ${linking.id}`;
    expect(row).toEqual({ status: 'connected', qr: null, qr_expires_at: null });
  });
});

describe('expire_idle_sessions', () => {
  it('expires idle sessions: credentials wiped, lease dropped, unsent rows failed, sent rows kept', async () => {
    const owner = randomOwner();
    const idle = await insertConnectedSession(db.sql, { last_activity_at: new Date(Date.now() - 40 * 86_400_000) }, owner);
    const fresh = await insertConnectedSession(db.sql, {}, randomOwner());
    for (const session of [idle, fresh]) {
      await db.sql`insert into whatsapp_auth_state (session_id, kind, key_id, value)
        select ${session.id}, k, '', '\\x01' from unnest(array['creds', 'pre-key', 'session']) k`;
    }
    const sent = await insertOutbound(db.sql, idle);
    await db.sql`select * from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
    await db.sql`select mark_outbound_sent(${sent.id}, ${owner}, null)`;
    const sending = await insertOutbound(db.sql, idle);
    await db.sql`select * from claim_ready_outbound_messages(${owner}, (select array_agg(id) from whatsapp_sessions), 10, '5 minutes')`;
    const queued = await insertOutbound(db.sql, idle);
    const freshQueued = await insertOutbound(db.sql, fresh);

    const expired = (await db.sql`select * from expire_idle_sessions('30 days')`).map((r) => Object.values(r)[0]);
    expect(expired).toContain(idle.id);
    expect(expired).not.toContain(fresh.id);

    const [session] = await db.sql`select status, lease_owner, lease_expires_at, last_error from whatsapp_sessions where id = ${idle.id}`;
    expect(session).toMatchObject({ status: 'expired', lease_owner: null, lease_expires_at: null });
    const credentials = await db.sql`select session_id, count(*)::int as n from whatsapp_auth_state
      where session_id in (${idle.id}, ${fresh.id}) group by session_id`;
    expect(credentials).toEqual([{ session_id: fresh.id, n: 3 }]);
    for (const id of [sending.id, queued.id]) {
      expect(await outbound(id)).toMatchObject({ status: 'failed', error_code: 'session_expired', claimed_by: null });
    }
    expect((await outbound(sent.id)).status).toBe('sent');
    expect((await outbound(freshQueued.id)).status).toBe('queued');
  });
});

describe('delete_unfinished_link_credentials', () => {
  it('deletes partial credentials of links that never finished and keeps those of linked sessions', async () => {
    const failed = await insertSession(db.sql, { status: 'failed', last_error: 'QR never scanned' });
    const linked = await insertConnectedSession(db.sql);
    for (const session of [failed, linked]) {
      await db.sql`insert into whatsapp_auth_state (session_id, kind, value) values (${session.id}, 'creds', '\\x01')`;
    }
    expect(await value<number>(db.sql`select delete_unfinished_link_credentials('1 day')`)).toBeGreaterThanOrEqual(1);
    const left = await db.sql`select session_id from whatsapp_auth_state where session_id in (${failed.id}, ${linked.id})`;
    expect(left).toEqual([{ session_id: linked.id }]);
  });
});

describe('request_whatsapp_link under concurrency', () => {
  it('8 simultaneous requests of the same user yield exactly one session and one connect command', async () => {
    const clients = Array.from({ length: 8 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    const gate = 0x5741_4c4c; // advisory lock key: the barrier every request waits on
    try {
      for (let round = 0; round < 5; round++) {
        const user = await createUser(db.sql);
        const results = await db.sql.begin(async (gatekeeper) => {
          await gatekeeper`select pg_advisory_xact_lock(${gate})`;
          const requests = clients.map((client) => asUser(client, user, async (tx) => {
            await tx`select pg_advisory_xact_lock_shared(${gate})`; // all start together once the gate opens
            return (await tx<{ id: string }[]>`select id from request_whatsapp_link()`)[0]!.id;
          }));
          await waitForWaiters(gate, clients.length);
          return requests;
        });
        const ids = await Promise.all(results);
        expect(new Set(ids).size).toBe(1);
        const [counts] = await db.sql`select
          (select count(*)::int from whatsapp_sessions where user_id = ${user}) as sessions,
          (select count(*)::int from session_commands where user_id = ${user} and command = 'connect') as commands`;
        expect(counts).toEqual({ sessions: 1, commands: 1 });
      }
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });
});

/** Resolves once `count` backends are waiting for the advisory lock `key` (the barrier is full). */
async function waitForWaiters(key: number, count: number): Promise<void> {
  for (;;) {
    const [{ n }] = await db.sql`select count(*)::int as n from pg_locks
      where locktype = 'advisory' and objid = ${key} and not granted
        and database = (select oid from pg_database where datname = current_database())` as unknown as [{ n: number }];
    if (n >= count) return;
    await db.sql`select pg_sleep(0.005)`;
  }
}
