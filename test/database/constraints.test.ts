// Every constraint of the data model rejects the wrong row, with the SQLSTATE and constraint name a
// caller can rely on. Rows are written as the table owner, so only the constraints (not RLS) decide.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createUser, type TestDatabase } from '../support/postgres.ts';
import { expectPgError, insertConnectedSession, insertSession, randomPhone, type SessionRow } from './helpers.ts';

type Row = Record<string, string | number | boolean | Date | null | object>;

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

const long = (n: number) => 'x'.repeat(n);
const CHECK = '23514';
const UNIQUE = '23505';
const FOREIGN_KEY = '23503';

interface Case { proves: string; row: Row; constraint: string; code?: string }

/** Inserts base ∪ row into `table` and expects the constraint to refuse it. */
function rejects(table: string, base: (session: SessionRow, freshUser: string) => Row, cases: Case[]) {
  it.each(cases)('$constraint: $proves', async ({ row, constraint, code }) => {
    const session = await insertConnectedSession(db.sql);
    const values = { ...base(session, await createUser(db.sql)), ...row };
    await expectPgError(db.sql`insert into ${db.sql(table)} ${db.sql(values)}`, code ?? CHECK, constraint);
  });
}

// Statuses, commands and link methods are enums (the one vocabulary): an unknown word is refused as
// invalid input for the type (22P02), before any constraint runs.
describe('the vocabulary enums', () => {
  const INVALID_ENUM = '22P02';
  it.each([
    { table: 'whatsapp_sessions', column: 'status', value: 'online' },
    { table: 'whatsapp_sessions', column: 'link_method', value: 'sms' },
    { table: 'session_commands', column: 'command', value: 'delete_account' },
    { table: 'session_commands', column: 'status', value: 'queued' },
    { table: 'outbound_messages', column: 'status', value: 'pending' },
  ])('$table.$column refuses "$value"', async ({ table, column, value }) => {
    const session = await insertConnectedSession(db.sql);
    const base: Row = table === 'whatsapp_sessions' ? { user_id: await createUser(db.sql) }
      : table === 'session_commands' ? { session_id: session.id, user_id: session.user_id, command: 'connect' }
        : { session_id: session.id, user_id: session.user_id, recipient: '+15557770000', text: 'hi' };
    const error = await expectPgError(db.sql`insert into ${db.sql(table)} ${db.sql({ ...base, [column]: value })}`, INVALID_ENUM);
    expect(error.message).toContain('invalid input value for enum');
  });
});

describe('whatsapp_sessions constraints', () => {
  rejects('whatsapp_sessions', (_session, freshUser) => ({ user_id: freshUser }), [
    { proves: 'a pairing phone is E.164', row: { link_method: 'pairing_code', pairing_phone: '5551234567' }, constraint: 'whatsapp_sessions_pairing_phone_check' },
    { proves: 'a pairing-code link needs its phone', row: { link_method: 'pairing_code' }, constraint: 'whatsapp_sessions_pairing_needs_phone_check' },
    { proves: 'status qr needs a QR', row: { status: 'qr' }, constraint: 'whatsapp_sessions_qr_check' },
    { proves: 'a QR is only shown in status qr', row: { status: 'connecting', qr: '2@abc', qr_expires_at: new Date() }, constraint: 'whatsapp_sessions_qr_check' },
    { proves: 'a QR always has its expiry', row: { status: 'qr', qr: '2@abc' }, constraint: 'whatsapp_sessions_qr_check' },
    { proves: 'an expiry never comes without a QR', row: { status: 'new', qr_expires_at: new Date() }, constraint: 'whatsapp_sessions_qr_check' },
    { proves: 'a QR is bounded', row: { status: 'qr', qr: long(1025), qr_expires_at: new Date() }, constraint: 'whatsapp_sessions_qr_length_check' },
    { proves: 'status pairing_code needs the code', row: { status: 'pairing_code' }, constraint: 'whatsapp_sessions_pairing_code_check' },
    { proves: 'a pairing code only in status pairing_code', row: { status: 'connecting', pairing_code: 'ABCD1234' }, constraint: 'whatsapp_sessions_pairing_code_check' },
    { proves: 'the phone number is E.164', row: { status: 'logged_out', phone_number: '0049 30 1234' }, constraint: 'whatsapp_sessions_phone_number_check' },
    { proves: 'connected means a phone number', row: { status: 'connected', connected_at: new Date() }, constraint: 'whatsapp_sessions_connected_check' },
    { proves: 'connected means connected_at', row: { status: 'connected', phone_number: '+15550001111' }, constraint: 'whatsapp_sessions_connected_check' },
    { proves: 'last_error is bounded', row: { status: 'failed', last_error: long(1001) }, constraint: 'whatsapp_sessions_last_error_length_check' },
    { proves: 'a lease owner has an expiry', row: { lease_owner: 'c1' }, constraint: 'whatsapp_sessions_lease_check' },
    { proves: 'a lease expiry has an owner', row: { lease_expires_at: new Date() }, constraint: 'whatsapp_sessions_lease_check' },
    { proves: 'the fencing number is never negative', row: { lease_epoch: -1 }, constraint: 'whatsapp_sessions_lease_check' },
    { proves: 'reconnect attempts are never negative', row: { reconnect_attempts: -1 }, constraint: 'whatsapp_sessions_reconnect_attempts_check' },
    { proves: 'the user exists', row: { user_id: '00000000-0000-4000-8000-00000000dead' }, constraint: 'whatsapp_sessions_user_id_fkey', code: FOREIGN_KEY },
  ]);

  it('whatsapp_sessions_one_active_per_user: a user has one active session; finished ones may pile up', async () => {
    const user = await createUser(db.sql);
    await insertSession(db.sql, { user_id: user, status: 'logged_out' });
    await insertSession(db.sql, { user_id: user, status: 'expired' });
    await insertSession(db.sql, { user_id: user, status: 'new' });
    for (const status of ['new', 'connecting', 'reconnecting', 'disconnected']) {
      await expectPgError(insertSession(db.sql, { user_id: user, status }), UNIQUE, 'whatsapp_sessions_one_active_per_user');
    }
  });

  it('whatsapp_sessions_one_active_per_phone: one active session per phone number, across users', async () => {
    const phone = randomPhone();
    await insertConnectedSession(db.sql, { phone_number: phone });
    await insertSession(db.sql, { status: 'replaced', phone_number: phone });
    await expectPgError(insertConnectedSession(db.sql, { phone_number: phone }), UNIQUE, 'whatsapp_sessions_one_active_per_phone');
    await expectPgError(insertSession(db.sql, { status: 'disconnected', phone_number: phone }), UNIQUE, 'whatsapp_sessions_one_active_per_phone');
  });

  it('deleting a user deletes their sessions and everything hanging off them', async () => {
    const session = await insertConnectedSession(db.sql);
    await db.sql`insert into whatsapp_auth_state (session_id, kind, value) values (${session.id}, 'creds', '\\x01')`;
    await db.sql`insert into outbound_messages (session_id, user_id, recipient, text) values (${session.id}, ${session.user_id}, '+15550001', 'x')`;
    await db.sql`delete from auth.users where id = ${session.user_id}`;
    const [left] = await db.sql`
      select (select count(*) from whatsapp_sessions where id = ${session.id})::int
           + (select count(*) from whatsapp_auth_state where session_id = ${session.id})::int
           + (select count(*) from outbound_messages where session_id = ${session.id})::int as n`;
    expect(left!.n).toBe(0);
  });
});

describe('whatsapp_auth_state constraints', () => {
  rejects('whatsapp_auth_state', (s) => ({ session_id: s.id, kind: 'creds', key_id: '', value: Buffer.from([1]) }), [
    { proves: 'kind is a lower-case identifier', row: { kind: 'Pre Key' }, constraint: 'whatsapp_auth_state_kind_check' },
    { proves: 'kind is bounded', row: { kind: `a${long(64)}` }, constraint: 'whatsapp_auth_state_kind_check' },
    { proves: 'key ids are bounded', row: { key_id: long(513) }, constraint: 'whatsapp_auth_state_key_id_check' },
    { proves: 'a value is at most 1 MiB', row: { value: randomBytes(1_048_577) }, constraint: 'whatsapp_auth_state_value_size_check' },
    { proves: 'the session exists', row: { session_id: '00000000-0000-4000-8000-00000000dead' }, constraint: 'whatsapp_auth_state_session_id_fkey', code: FOREIGN_KEY },
  ]);

  it('whatsapp_auth_state_pkey: one value per (session, kind, key id)', async () => {
    const session = await insertConnectedSession(db.sql);
    await db.sql`insert into whatsapp_auth_state (session_id, kind, key_id, value) values (${session.id}, 'pre-key', '1', '\\x01')`;
    await expectPgError(
      db.sql`insert into whatsapp_auth_state (session_id, kind, key_id, value) values (${session.id}, 'pre-key', '1', '\\x02')`,
      UNIQUE, 'whatsapp_auth_state_pkey');
  });
});

describe('session_commands constraints', () => {
  const base = (s: SessionRow): Row => ({ session_id: s.id, user_id: s.user_id, command: 'connect' });
  rejects('session_commands', base, [
    { proves: 'the payload is a JSON object', row: { payload: ['x'] }, constraint: 'session_commands_payload_check' },
    { proves: 'the payload is bounded', row: { payload: { blob: randomBytes(6000).toString('base64') } }, constraint: 'session_commands_payload_check' },
    { proves: 'a link method in the payload is qr or pairing_code', row: { payload: { method: 'sms' } }, constraint: 'session_commands_payload_link_check' },
    { proves: 'a phone in the payload is E.164', row: { payload: { method: 'pairing_code', phone: '555 1234' } }, constraint: 'session_commands_payload_link_check' },
    { proves: 'a phone in the payload is a string', row: { payload: { phone: 15551234567 } }, constraint: 'session_commands_payload_link_check' },
    { proves: 'a phone in the payload is not null', row: { payload: { phone: null } }, constraint: 'session_commands_payload_link_check' },
    { proves: 'a failed command says why', row: { status: 'failed', completed_at: new Date() }, constraint: 'session_commands_failed_has_error_check' },
    { proves: 'an error is bounded', row: { status: 'failed', error: long(1001), completed_at: new Date() }, constraint: 'session_commands_error_length_check' },
    { proves: 'running means claimed (owner and expiry)', row: { status: 'running' }, constraint: 'session_commands_claim_check' },
    { proves: 'a pending command is not claimed', row: { claimed_by: 'c1', claim_expires_at: new Date() }, constraint: 'session_commands_claim_check' },
    { proves: 'done means completed_at', row: { status: 'done' }, constraint: 'session_commands_completed_check' },
    { proves: 'a pending command has no completed_at', row: { completed_at: new Date() }, constraint: 'session_commands_completed_check' },
  ]);

  it('session_commands_session_fkey: the command\'s user is always the session\'s user', async () => {
    const session = await insertConnectedSession(db.sql);
    const other = await createUser(db.sql);
    await expectPgError(
      db.sql`insert into session_commands (session_id, user_id, command) values (${session.id}, ${other}, 'logout')`,
      FOREIGN_KEY, 'session_commands_session_fkey');
  });
});

describe('outbound_messages constraints', () => {
  const base = (s: SessionRow): Row => ({ session_id: s.id, user_id: s.user_id, recipient: '+15557770000', text: 'hello' });
  rejects('outbound_messages', base, [
    { proves: 'a recipient is not empty', row: { recipient: '' }, constraint: 'outbound_messages_recipient_check' },
    { proves: 'a recipient is not blank', row: { recipient: '   ' }, constraint: 'outbound_messages_recipient_check' },
    { proves: 'a recipient is a phone number or a user JID', row: { recipient: 'alice' }, constraint: 'outbound_messages_recipient_check' },
    { proves: 'a group JID is not a recipient (yet)', row: { recipient: '123456789-123@g.us' }, constraint: 'outbound_messages_recipient_check' },
    { proves: 'a recipient is bounded', row: { recipient: '1'.repeat(65) }, constraint: 'outbound_messages_recipient_check' },
    { proves: 'a recipient is bounded, trailing blanks included', row: { recipient: `1${' '.repeat(500)}` }, constraint: 'outbound_messages_recipient_check' },
    { proves: 'content type is known', row: { content_type: 'location' }, constraint: 'outbound_messages_content_type_check' },
    { proves: 'a media row names its object', row: { content_type: 'image', text: null }, constraint: 'outbound_messages_media_path_check' },
    { proves: 'a text message has a text', row: { text: null }, constraint: 'outbound_messages_text_check' },
    { proves: 'a text is not empty', row: { text: '' }, constraint: 'outbound_messages_text_check' },
    { proves: 'a text is not blank', row: { text: ' \n\t ' }, constraint: 'outbound_messages_text_check' },
    { proves: 'a text is at most 4096 characters', row: { text: long(4097) }, constraint: 'outbound_messages_text_check' },
    { proves: 'an idempotency key is not empty', row: { idempotency_key: '' }, constraint: 'outbound_messages_idempotency_key_check' },
    { proves: 'an idempotency key is bounded', row: { idempotency_key: long(201) }, constraint: 'outbound_messages_idempotency_key_check' },
    { proves: 'attempts are never negative', row: { attempts: -1 }, constraint: 'outbound_messages_attempts_check' },
    { proves: 'sending means claimed', row: { status: 'sending' }, constraint: 'outbound_messages_claim_check' },
    { proves: 'a queued row is not claimed', row: { claimed_by: 'c1', claim_expires_at: new Date() }, constraint: 'outbound_messages_claim_check' },
    { proves: 'sent means sent_at', row: { status: 'sent' }, constraint: 'outbound_messages_sent_check' },
    { proves: 'read means sent_at', row: { status: 'read', read_at: new Date() }, constraint: 'outbound_messages_sent_check' },
    { proves: 'failed means failed_at', row: { status: 'failed', error: 'x' }, constraint: 'outbound_messages_failed_check' },
    { proves: 'failed says why', row: { status: 'failed', failed_at: new Date() }, constraint: 'outbound_messages_failed_check' },
    { proves: 'failed_at only when failed', row: { failed_at: new Date() }, constraint: 'outbound_messages_failed_check' },
    { proves: 'an error is bounded', row: { error: long(1001) }, constraint: 'outbound_messages_error_length_check' },
    { proves: 'an error code is bounded', row: { error_code: long(65) }, constraint: 'outbound_messages_error_length_check' },
  ]);

  it('accepts the recipient forms the CRM sends: +E.164, digits with separators, a user JID', async () => {
    const session = await insertConnectedSession(db.sql);
    for (const recipient of ['+15557770000', '1 (555) 777-0000', '15557770000@s.whatsapp.net']) {
      await db.sql`insert into outbound_messages ${db.sql({ ...base(session), recipient })}`;
    }
  });

  it('outbound_messages_idempotency_key_unique: an idempotency key is unique per user, not globally', async () => {
    const alice = await insertConnectedSession(db.sql);
    const bob = await insertConnectedSession(db.sql);
    await db.sql`insert into outbound_messages ${db.sql({ ...base(alice), idempotency_key: 'k1' })}`;
    await db.sql`insert into outbound_messages ${db.sql({ ...base(bob), idempotency_key: 'k1' })}`;
    await db.sql`insert into outbound_messages ${db.sql({ ...base(alice) })}`; // many rows without a key
    await db.sql`insert into outbound_messages ${db.sql({ ...base(alice) })}`;
    await expectPgError(db.sql`insert into outbound_messages ${db.sql({ ...base(alice), idempotency_key: 'k1' })}`,
      UNIQUE, 'outbound_messages_idempotency_key_unique');
  });

  it('outbound_messages_session_fkey: a message\'s user is always its session\'s user', async () => {
    const session = await insertConnectedSession(db.sql);
    const other = await createUser(db.sql);
    await expectPgError(db.sql`insert into outbound_messages ${db.sql({ ...base(session), user_id: other })}`,
      FOREIGN_KEY, 'outbound_messages_session_fkey');
  });

  it('the WhatsApp message id is derived from the row id and cannot be set', async () => {
    const session = await insertConnectedSession(db.sql);
    const [row] = await db.sql`insert into outbound_messages ${db.sql(base(session))}
      returning id, wa_message_id, '3EB0' || upper(left(md5(id::text), 20)) as expected`;
    expect(row!.wa_message_id).toBe(row!.expected);
    await expectPgError(db.sql`insert into outbound_messages ${db.sql({ ...base(session), wa_message_id: '3EB0X' })}`, '428C9');
  });
});

describe('inbound_messages constraints', () => {
  const base = (s: SessionRow): Row => ({
    session_id: s.id, user_id: s.user_id, wa_message_id: `M${randomBytes(6).toString('hex')}`,
    chat_jid: '15557770000@s.whatsapp.net', message_type: 'text', text: 'hi', wa_timestamp: new Date(),
  });
  rejects('inbound_messages', base, [
    { proves: 'a WhatsApp message id is not empty', row: { wa_message_id: '' }, constraint: 'inbound_messages_wa_message_id_check' },
    { proves: 'a WhatsApp message id is bounded', row: { wa_message_id: long(129) }, constraint: 'inbound_messages_wa_message_id_check' },
    { proves: 'a message type is not empty', row: { message_type: '' }, constraint: 'inbound_messages_message_type_check' },
    { proves: 'a message type is bounded', row: { message_type: long(65) }, constraint: 'inbound_messages_message_type_check' },
    { proves: 'a chat JID is not empty', row: { chat_jid: '' }, constraint: 'inbound_messages_chat_jid_check' },
    { proves: 'a chat JID is bounded', row: { chat_jid: long(129) }, constraint: 'inbound_messages_chat_jid_check' },
    { proves: 'a text is bounded', row: { text: long(65537) }, constraint: 'inbound_messages_text_length_check' },
    { proves: 'a sender phone is E.164', row: { sender_phone: '5557770000' }, constraint: 'inbound_messages_sender_phone_check' },
    { proves: 'the raw message is bounded', row: { raw: { blob: randomBytes(300_000).toString('base64') } }, constraint: 'inbound_messages_raw_size_check' },
  ]);

  it('inbound_messages_wa_message_id_unique: a replayed message is refused per session, not across sessions', async () => {
    const one = await insertConnectedSession(db.sql);
    const two = await insertConnectedSession(db.sql);
    const row = { ...base(one), wa_message_id: 'SAME-ID' };
    await db.sql`insert into inbound_messages ${db.sql(row)}`;
    await db.sql`insert into inbound_messages ${db.sql({ ...base(two), wa_message_id: 'SAME-ID' })}`;
    await expectPgError(db.sql`insert into inbound_messages ${db.sql(row)}`, UNIQUE, 'inbound_messages_wa_message_id_unique');
    const [{ n }] = await db.sql`select count(*)::int as n from inbound_messages
      where session_id = ${one.id} and wa_message_id = 'SAME-ID'` as unknown as [{ n: number }];
    expect(n).toBe(1);
  });

  it('inbound_messages_session_fkey: a message\'s user is always its session\'s user', async () => {
    const session = await insertConnectedSession(db.sql);
    const other = await createUser(db.sql);
    await expectPgError(db.sql`insert into inbound_messages ${db.sql({ ...base(session), user_id: other })}`,
      FOREIGN_KEY, 'inbound_messages_session_fkey');
  });
});
