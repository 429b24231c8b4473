// Write quotas in the database (issue 16 item 9b): users insert outbound_messages and session_commands directly
// through the Data API, so the Edge Function's request limit was no boundary (one REST request queued 150 rows,
// another 50 `connect` commands). Real supabase-js against the local stack's REST, and the real function in Deno.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness, type TestUser } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  h = await startFunctionHarness();
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => { await h?.stop(); });

const QUEUED = 100; // write_quotas defaults (20261207005000_write_quotas.sql)
const COMMANDS = 30;

async function userWithSession(): Promise<TestUser & { sessionId: string }> {
  const user = await createSignedInUser(h.stack);
  const reply = await api('POST', '/sessions', { token: user.token });
  expect(reply.status).toBe(201);
  return { ...user, sessionId: reply.body.id };
}
const rows = (user: TestUser & { sessionId: string }, n: number, tag = 'q') => Array.from({ length: n }, (_, i) =>
  ({ session_id: user.sessionId, user_id: user.id, recipient: '+14155552671', text: `${tag} ${i}` }));
const waiting = async (sessionId: string) =>
  (await h.stack.sql<{ n: number }[]>`select count(*)::int as n from outbound_messages where session_id = ${sessionId}`)[0]!.n;
const commands = async (userId: string) =>
  (await h.stack.sql<{ n: number }[]>`select count(*)::int as n from session_commands where user_id = ${userId}`)[0]!.n;

describe('write quotas hold on every path', () => {
  it(`one REST insert of 150 outbound rows is refused whole (WL429); ${QUEUED} may wait per session, the next is refused until one is sent`, async () => {
    const user = await userWithSession();
    const bulk = await user.client.from('outbound_messages').insert(rows(user, 150));
    expect(bulk.error).toMatchObject({ code: 'WL429', hint: 'queued_outbound_per_session' });
    expect(bulk.error!.message).toMatch(/at most 100 messages per session/);
    expect(await waiting(user.sessionId)).toBe(0);

    expect((await user.client.from('outbound_messages').insert(rows(user, QUEUED))).error).toBeNull();
    const over = await user.client.from('outbound_messages').insert(rows(user, 1, 'over'));
    expect(over.error?.code).toBe('WL429');
    expect(await waiting(user.sessionId)).toBe(QUEUED);

    // the connector sends one: a place is free again
    const [one] = await h.stack.sql<{ id: string }[]>`select id from outbound_messages where session_id = ${user.sessionId} limit 1`;
    await h.stack.sql`update outbound_messages set status = 'sent', sent_at = now() where id = ${one!.id}`;
    expect((await user.client.from('outbound_messages').insert(rows(user, 1, 'after'))).error).toBeNull();
    expect((await user.client.from('outbound_messages').insert(rows(user, 1, 'again'))).error?.code).toBe('WL429');
  });

  it('the Edge Function answers 429 quota_exceeded with the database\'s message when the session\'s queue is full', async () => {
    const user = await userWithSession();
    expect((await user.client.from('outbound_messages').insert(rows(user, QUEUED))).error).toBeNull();
    const reply = await api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text: 'one more' } });
    expect(reply.status).toBe(429);
    expect(reply.body.error).toEqual({ code: 'quota_exceeded', message: expect.stringMatching(/at most 100 messages per session/) });
    expect(await waiting(user.sessionId)).toBe(QUEUED);
  });

  it(`session commands: 50 in one REST insert are refused whole; ${COMMANDS} per minute per user, another user unaffected`, async () => {
    const user = await userWithSession(); // POST /sessions created one `connect` command
    const before = await commands(user.id);
    const many = Array.from({ length: 50 }, () => ({ session_id: user.sessionId, user_id: user.id, command: 'connect' as const }));
    const bulk = await user.client.from('session_commands').insert(many);
    expect(bulk.error).toMatchObject({ code: 'WL429', hint: 'session_commands_per_minute' });
    expect(await commands(user.id)).toBe(before);

    for (let i = before; i < COMMANDS; i++) {
      const { error } = await user.client.from('session_commands').insert({ session_id: user.sessionId, user_id: user.id, command: 'reconnect' });
      expect(error).toBeNull();
    }
    const over = await user.client.from('session_commands').insert({ session_id: user.sessionId, user_id: user.id, command: 'reconnect' });
    expect(over.error?.code).toBe('WL429');
    // through the function too (request_session_command inserts as the user)
    const viaApi = await api('POST', `/sessions/${user.sessionId}/disconnect`, { token: user.token });
    expect([viaApi.status, viaApi.body.error?.code]).toEqual([429, 'quota_exceeded']);
    expect(await commands(user.id)).toBe(COMMANDS);

    const other = await userWithSession();
    expect((await other.client.from('session_commands').insert({ session_id: other.sessionId, user_id: other.id, command: 'reconnect' })).error).toBeNull();
  });

  it('trusted writers (the connector, the service role) are not limited', async () => {
    const user = await userWithSession();
    const values = rows(user, 150);
    await h.stack.sql`insert into outbound_messages ${h.stack.sql(values)}`;
    const admin = h.stack.serviceClient();
    expect((await admin.from('outbound_messages').insert(rows(user, 10, 'svc'))).error).toBeNull();
    expect(await waiting(user.sessionId)).toBe(160);
  });

  it('users cannot call the rate-limit counter through REST (callers must not choose bucket, limit or window)', async () => {
    const user = await createSignedInUser(h.stack);
    const { error } = await user.client.rpc('consume_api_rate_limit', { p_user: user.id, p_bucket: 'messages', p_limit: 1000000, p_window_seconds: 1 });
    expect(error?.code).toBe('42501');
    expect((await h.stack.sql`select 1 from api_rate_limits where user_id = ${user.id}`)).toHaveLength(0);
  });
});
