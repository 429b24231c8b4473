// The whatsapp Edge Function's rep action routes end to end (real Deno behind the local stack, real fetch):
// react / remove reaction / edit / delete for everyone / mark read / reply quoting / mark a conversation read.
// Each queues the row the connector sends (connector-rep-actions and connector-mark-read prove the sending);
// here: the row written, the refusals with their stable codes and nothing written, and isolation between users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness, type TestUser } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  h = await startFunctionHarness();
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => { await h?.stop(); });

const CONTACT = '+14155552671';
const countOutbound = async (userId: string) =>
  Number((await h.stack.sql`select count(*)::int as n from outbound_messages where user_id = ${userId}`)[0]!.n);

/** A user with a session, a contact who wrote twice and a text the CRM sent a minute ago. */
async function seeded(): Promise<TestUser & { sessionId: string; contactId: string; asked: string; later: string; ours: string }> {
  const user = await createSignedInUser(h.stack);
  const created = await api('POST', '/sessions', { token: user.token });
  expect(created.status).toBe(201);
  const sessionId = created.body.id as string;
  const [contact] = await h.stack.sql`insert into whatsapp_contacts (session_id, user_id, phone_number, phone_source, push_name)
    values (${sessionId}, ${user.id}, ${CONTACT}, 'message', 'Ana') returning id`;
  const tag = crypto.randomUUID().slice(0, 8).toUpperCase();
  const [asked, later] = [`ASK${tag}`, `LATER${tag}`];
  for (const [id, text, ago] of [[asked, '¿Precio?', 30], [later, '¿Y envío?', 20]] as const) {
    await h.stack.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, sender_phone, message_type, text, wa_timestamp, contact_id)
      values (${sessionId}, ${user.id}, ${id}, '14155552671@s.whatsapp.net', '14155552671@s.whatsapp.net', ${CONTACT}, 'text', ${text},
              now() - ${ago} * interval '1 second', ${contact!.id})`;
  }
  const [ours] = await h.stack.sql`insert into outbound_messages (session_id, user_id, recipient, text, status, sent_at, attempts)
    values (${sessionId}, ${user.id}, ${CONTACT}, 'Precio: 10 €', 'sent', now() - interval '1 minute', 1) returning wa_message_id`;
  return { ...user, sessionId, contactId: contact!.id as string, asked, later, ours: ours!.wa_message_id as string };
}

describe('whatsapp function: rep actions', () => {
  it('queues each action on the message (202) with the recipient taken from it; the reply quotes it', async () => {
    const u = await seeded();
    const call = (method: string, path: string, json?: unknown) => api(method, path, { token: u.token, ...(json === undefined ? {} : { json }) });
    const cases: [string, string, unknown, { action: string; text: string | null; target: string }][] = [
      ['POST', `/messages/${u.asked}/reaction`, { emoji: '👍' }, { action: 'reaction', text: '👍', target: u.asked }],
      ['DELETE', `/messages/${u.asked}/reaction`, undefined, { action: 'reaction', text: '', target: u.asked }],
      ['POST', `/messages/${u.ours}/edit`, { text: 'Precio: 12 €' }, { action: 'edit', text: 'Precio: 12 €', target: u.ours }],
      ['POST', `/messages/${u.ours}/revoke`, {}, { action: 'revoke', text: null, target: u.ours }],
      ['POST', `/messages/${u.asked}/read`, { session_id: u.sessionId }, { action: 'read', text: null, target: u.asked }],
    ];
    for (const [method, path, json, want] of cases) {
      const reply = await call(method, path, json);
      expect(reply.status, `${method} ${path} ${JSON.stringify(reply.body)}`).toBe(202);
      expect(reply.body).toMatchObject({ action: want.action, text: want.text, target_wa_message_id: want.target, status: 'queued', session_id: u.sessionId });
      const [row] = await h.stack.sql`select content_type, recipient, target_wa_message_id from outbound_messages where id = ${reply.body.id}`;
      expect(row).toEqual({ content_type: want.action, recipient: CONTACT, target_wa_message_id: want.target });
    }
    const reply = await call('POST', `/messages/${u.asked}/reply`, { text: 'Son 10 €' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    expect(reply.body).toMatchObject({ to: CONTACT, content_type: 'text', text: 'Son 10 €', quoted_wa_message_id: u.asked, status: 'queued' });

    const read = await call('POST', `/conversations/${u.contactId}/read`);
    expect(read.status, JSON.stringify(read.body)).toBe(202);
    expect(read.body.action).toMatchObject({ action: 'read', target_wa_message_id: u.later, status: 'queued' });
    // once the receipt went out (as the connector records it), nothing is unread: 200, nothing queued
    await h.stack.sql`update inbound_messages set read_at = now() where session_id = ${u.sessionId}`;
    const before = await countOutbound(u.id);
    expect(await call('POST', `/conversations/${u.contactId}/read`)).toMatchObject({ status: 200, body: { action: null } });
    expect(await countOutbound(u.id)).toBe(before);
  });

  it('refuses bad input and what WhatsApp would refuse with stable codes, and writes nothing', async () => {
    const u = await seeded();
    const [old] = await h.stack.sql`insert into outbound_messages (session_id, user_id, recipient, text, status, sent_at, attempts)
      values (${u.sessionId}, ${u.id}, ${CONTACT}, 'viejo', 'sent', now() - interval '61 hours', 1) returning wa_message_id`;
    const [queued] = await h.stack.sql`insert into outbound_messages (session_id, user_id, recipient, text, next_attempt_at)
      values (${u.sessionId}, ${u.id}, ${CONTACT}, 'luego', now() + interval '1 hour') returning wa_message_id`;
    const other = await createSignedInUser(h.stack);
    const otherSession = (await api('POST', '/sessions', { token: other.token })).body.id as string;
    const before = await countOutbound(u.id);
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/messages/NOSUCHID/reaction', { emoji: '👍' }, 404, 'target_not_found'],
      ['POST', `/messages/${u.asked}/reaction`, { emoji: 'ok' }, 400, 'invalid_emoji'],
      ['POST', `/messages/${u.asked}/reaction`, { emoji: '' }, 400, 'validation_failed'],
      ['POST', `/messages/${u.asked}/reaction`, { emoji: '👍', extra: 1 }, 400, 'unknown_field'],
      ['POST', `/messages/${u.asked}/reaction`, { emoji: '👍', session_id: otherSession }, 404, 'session_not_found'],
      ['POST', `/messages/${u.asked}/reaction`, { emoji: '👍', session_id: 'nope' }, 400, 'validation_failed'],
      ['POST', `/messages/${u.asked}/edit`, { text: 'cambio' }, 403, 'not_your_message'],
      ['POST', `/messages/${u.ours}/edit`, { text: '   ' }, 400, 'validation_failed'],
      ['POST', `/messages/${u.ours}/edit`, {}, 400, 'validation_failed'],
      ['POST', `/messages/${queued!.wa_message_id}/edit`, { text: 'x' }, 409, 'target_not_sent'],
      ['POST', `/messages/${old!.wa_message_id}/edit`, { text: 'tarde' }, 409, 'edit_window_passed'],
      ['POST', `/messages/${u.asked}/revoke`, {}, 403, 'not_your_message'],
      ['POST', `/messages/${old!.wa_message_id}/revoke`, {}, 409, 'delete_window_passed'],
      ['POST', `/messages/${u.ours}/read`, {}, 409, 'not_received'],
      ['POST', '/messages/NOSUCHID/read', {}, 404, 'target_not_found'],
      ['POST', '/messages/NOSUCHID/reply', { text: 'hola' }, 404, 'quoted_not_found'],
      ['POST', `/messages/${u.asked}/reply`, { text: '' }, 400, 'validation_failed'],
      ['POST', `/conversations/${crypto.randomUUID()}/read`, undefined, 404, 'contact_not_found'],
      ['POST', '/conversations/nope/read', undefined, 400, 'validation_failed'],
      ['POST', `/messages/${u.asked}/reaction`, '{"emoji": ', 400, 'invalid_json'],
    ];
    for (const [method, path, json, status, code] of cases) {
      const options = typeof json === 'string'
        ? { token: u.token, body: json, headers: { 'Content-Type': 'application/json' } }
        : { token: u.token, ...(json === undefined ? {} : { json }) };
      const reply = await api(method, path, options);
      expect([reply.status, reply.body.error?.code], `${method} ${path} ${JSON.stringify(json)}`).toEqual([status, code]);
      expect(typeof reply.body.error.message).toBe('string');
    }
    expect(await api('POST', `/messages/${u.asked}/reaction`, { json: { emoji: '👍' } })).toMatchObject({ status: 401 });
    expect(await countOutbound(u.id)).toBe(before);
  });

  it('an Idempotency-Key on an action, a reply or a conversation read replays the first row and queues nothing twice; the key with another body is 409 idempotency_conflict', async () => {
    type Case = (u: Awaited<ReturnType<typeof seeded>>) => [method: string, path: string, json: unknown, otherPath: string, otherJson: unknown];
    const cases: Case[] = [
      (u) => ['POST', `/messages/${u.asked}/reaction`, { emoji: '👍' }, `/messages/${u.asked}/reaction`, { emoji: '❤️' }],
      (u) => ['DELETE', `/messages/${u.later}/reaction`, undefined, `/messages/${u.asked}/reaction`, undefined],
      (u) => ['POST', `/messages/${u.ours}/edit`, { text: 'Precio: 12 €' }, `/messages/${u.ours}/edit`, { text: 'Precio: 13 €' }],
      (u) => ['POST', `/messages/${u.ours}/revoke`, {}, `/messages/${u.asked}/reaction`, { emoji: '👍' }],
      (u) => ['POST', `/messages/${u.asked}/read`, {}, `/messages/${u.later}/read`, {}],
      (u) => ['POST', `/messages/${u.asked}/reply`, { text: 'Son 10 €' }, `/messages/${u.asked}/reply`, { text: 'Son 11 €' }],
      (u) => ['POST', `/conversations/${u.contactId}/read`, undefined, `/messages/${u.asked}/read`, {}],
    ];
    // a user per case: the local stack's message rate limit is 25 calls an hour
    await Promise.all(cases.map(async (pick) => {
      const u = await seeded();
      const [method, path, json, otherPath, otherJson] = pick(u);
      const call = (m: string, p: string, body: unknown) =>
        api(m, p, { token: u.token, headers: { 'Idempotency-Key': 'crm-retry-1' }, ...(body === undefined ? {} : { json: body }) });
      const first = await call(method, path, json);
      expect(first.status, `${method} ${path} ${JSON.stringify(first.body)}`).toBe(202);
      const before = await countOutbound(u.id);
      const again = await call(method, path, json);
      expect([again.status, again.headers.get('idempotent-replayed')], `${method} ${path} again`).toEqual([202, 'true']);
      expect(again.body).toEqual(first.body);
      const otherMethod = otherPath.endsWith('/reaction') && otherJson === undefined ? 'DELETE' : 'POST';
      const changed = await call(otherMethod, otherPath, otherJson);
      expect([changed.status, changed.body.error?.code], `the key of ${method} ${path} on ${otherMethod} ${otherPath}`).toEqual([409, 'idempotency_conflict']);
      expect(await countOutbound(u.id)).toBe(before);
    }));

    const u = await seeded();
    const call = (path: string, key: string, json: unknown) => api('POST', path, { token: u.token, headers: { 'Idempotency-Key': key }, json });
    // concurrent retries of one new action: one row
    const before = await countOutbound(u.id);
    const burst = await Promise.all([0, 1, 2].map(() => call(`/messages/${u.later}/reaction`, 'crm-burst', { emoji: '🙏' })));
    expect(burst.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    expect(await countOutbound(u.id)).toBe(before + 1);
    // a key the CRM used for a plain send is not an action's
    const sent = await api('POST', '/messages', { token: u.token, json: { to: CONTACT, text: 'Hola', idempotency_key: 'crm-send' } });
    expect(sent.status).toBe(202);
    expect((await call(`/messages/${u.asked}/reply`, 'crm-send', { text: 'Hola' })).body.error?.code).toBe('idempotency_conflict');
    expect((await call(`/messages/${u.asked}/reaction`, '', { emoji: '👍' })).body.error?.code).toBe('validation_failed');
    expect(await countOutbound(u.id)).toBe(before + 2);
  });

  it('another user cannot act on these messages or mark this conversation read: not found, nothing written', async () => {
    const u = await seeded();
    const other = await createSignedInUser(h.stack);
    expect((await api('POST', '/sessions', { token: other.token })).status).toBe(201);
    const before = await countOutbound(u.id);
    const tries: [string, string, unknown, string][] = [
      ['POST', `/messages/${u.asked}/reaction`, { emoji: '👍' }, 'target_not_found'],
      ['POST', `/messages/${u.ours}/edit`, { text: 'mío' }, 'target_not_found'],
      ['POST', `/messages/${u.ours}/revoke`, {}, 'target_not_found'],
      ['POST', `/messages/${u.asked}/read`, {}, 'target_not_found'],
      ['POST', `/messages/${u.asked}/reply`, { text: 'hola' }, 'quoted_not_found'],
      ['POST', `/conversations/${u.contactId}/read`, undefined, 'contact_not_found'],
      ['POST', `/messages/${u.asked}/reaction`, { emoji: '👍', session_id: u.sessionId }, 'session_not_found'],
    ];
    for (const [method, path, json, code] of tries) {
      const reply = await api(method, path, { token: other.token, ...(json === undefined ? {} : { json }) });
      expect([reply.status, reply.body.error?.code], `${method} ${path}`).toEqual([404, code]);
    }
    expect(await countOutbound(u.id)).toBe(before);
    expect(await countOutbound(other.id)).toBe(0);
  });
});
