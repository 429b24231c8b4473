// GET /conversations pages end to end (real Deno behind the local stack, real supabase-js and fetch): a stable
// (last_message_at, contact_id) cursor over ties on the time, the limit cap, a clear 400 for a cursor we did not
// issue, and another user's conversations never appearing (RLS under the function, whatever the cursor says).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness, type TestUser } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  h = await startFunctionHarness();
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => { await h?.stop(); });

type User = TestUser & { sessionId: string };

async function userWithSession(): Promise<User> {
  const user = await createSignedInUser(h.stack);
  const reply = await api('POST', '/sessions', { token: user.token });
  expect(reply.status).toBe(201);
  return { ...user, sessionId: reply.body.id };
}

let lidSeq = 0;
/** A contact of the user's session with one received message at `at`. */
async function conversation(user: User, name: string, at: Date): Promise<string> {
  const lid = `${900000000000000 + ++lidSeq}@lid`;
  const [row] = await h.stack.sql`select record_whatsapp_contact(${user.sessionId}, ${lid}, null, null, ${name}, p_seen => true) as id`;
  const contactId = row!.id as string;
  await h.stack.sql`select store_inbound_message(${h.stack.sql.json({
    session_id: user.sessionId, user_id: user.id, wa_message_id: `M${lidSeq}`, contact_id: contactId, from_me: false,
    message_type: 'conversation', text: `from ${name}`, chat_jid: lid, push_name: name, wa_timestamp: at.toISOString() })})`;
  return contactId;
}

/** Every page of GET /conversations with `limit`, following next_cursor; `between` runs after the first page. */
async function allPages(user: User, limit: number, between?: () => Promise<void>) {
  const pages: { contact_id: string; last_message: { at: string } }[][] = [];
  let cursor: string | null = null;
  do {
    const query: string = `/conversations?session_id=${user.sessionId}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const reply = await api('GET', query, { token: user.token });
    expect(reply.status).toBe(200);
    pages.push(reply.body.conversations);
    cursor = reply.body.next_cursor;
    if (pages.length === 1) await between?.();
    expect(pages.length).toBeLessThan(20);
  } while (cursor);
  return pages;
}

const at = (second: number) => new Date(Date.UTC(2026, 11, 7, 9, 0, second));

describe('whatsapp function: GET /conversations pages', () => {
  it('pages with a stable cursor over ties on the time: every conversation once, newest first, ties by contact id', async () => {
    const user = await userWithSession();
    const ids: { id: string; second: number }[] = [];
    for (const [name, second] of [['a', 10], ['b', 30], ['c', 30], ['d', 30], ['e', 20], ['f', 30], ['g', 5]] as const) {
      ids.push({ id: await conversation(user, name, at(second)), second });
    }
    const expected = [...ids].sort((x, y) => y.second - x.second || (x.id < y.id ? -1 : 1)).map((x) => x.id);

    // supabase-js: the first page, and its cursor
    const { data, error } = await user.client.functions.invoke(`whatsapp/conversations?session_id=${user.sessionId}&limit=3`, { method: 'GET' });
    expect(error).toBeNull();
    expect(data.conversations.map((c: { contact_id: string }) => c.contact_id)).toEqual(expected.slice(0, 3));
    expect(data.next_cursor).toEqual(expect.any(String));

    // four ties at :30 straddle the pages of 3 and of 2; one page of everything ends with next_cursor null
    for (const limit of [1, 2, 3, 7]) {
      const pages = await allPages(user, limit);
      expect(pages.flat().map((c) => c.contact_id), `limit ${limit}`).toEqual(expected);
      expect(pages.length).toBe(Math.ceil(expected.length / limit));
      expect(pages.every((page) => page.length === limit || page === pages.at(-1))).toBe(true);
    }
    const whole = await api('GET', `/conversations?session_id=${user.sessionId}&limit=200`, { token: user.token });
    expect([whole.body.conversations.length, whole.body.next_cursor]).toEqual([7, null]);

    // a conversation on a later page that gets a message meanwhile moves to the top; the rest are listed once each
    const moved = expected[5]!;
    const pages = await allPages(user, 2, async () => {
      await h.stack.sql`select store_inbound_message(${h.stack.sql.json({
        session_id: user.sessionId, user_id: user.id, wa_message_id: 'LATE', contact_id: moved, from_me: false,
        message_type: 'conversation', text: 'one more', chat_jid: '900000000000099@lid', wa_timestamp: at(59).toISOString() })})`;
    });
    const listed = pages.flat().map((c) => c.contact_id);
    expect(listed).toEqual(expected.filter((id) => id !== moved));
    const first = await api('GET', `/conversations?session_id=${user.sessionId}&limit=1`, { token: user.token });
    expect(first.body.conversations[0].contact_id).toBe(moved);
  });

  it('another user\'s conversations never appear, with or without a cursor taken from the first user', async () => {
    const a = await userWithSession();
    const b = await userWithSession();
    const ofA = [await conversation(a, 'a1', at(40)), await conversation(a, 'a2', at(40)), await conversation(a, 'a3', at(10))];
    const ofB = [await conversation(b, 'b1', at(40)), await conversation(b, 'b2', at(20))];

    const listOf = async (user: User, query = '') => {
      const reply = await api('GET', `/conversations?limit=1${query}`, { token: user.token });
      expect(reply.status).toBe(200);
      return reply.body as { conversations: { contact_id: string; session_id: string }[]; next_cursor: string | null };
    };
    const pagesOfB: string[] = [];
    for (let page = await listOf(b); ; page = await listOf(b, `&cursor=${page.next_cursor}`)) {
      pagesOfB.push(...page.conversations.map((c) => c.contact_id));
      if (!page.next_cursor) break;
    }
    expect(pagesOfB.sort()).toEqual([...ofB].sort());

    // A's cursor (positioned between A's two ties) given to B: B's rows after that position, none of A's
    const cursorOfA = (await listOf(a)).next_cursor!;
    const borrowed = await listOf(b, `&cursor=${cursorOfA}`);
    expect(borrowed.conversations.every((c) => ofB.includes(c.contact_id))).toBe(true);
    // B cannot page A's session either
    const foreign = await api('GET', `/conversations?session_id=${a.sessionId}`, { token: b.token });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'session_not_found']);
    const all = await api('GET', '/conversations?limit=200', { token: a.token });
    expect(all.body.conversations.map((c: { contact_id: string }) => c.contact_id).sort()).toEqual([...ofA].sort());
  });

  it('refuses a cursor it did not issue and a limit beyond the cap with a 400 and a stable code', async () => {
    const user = await userWithSession();
    const messagesCursor = Buffer.from(JSON.stringify({ t: '2026-12-07T09:00:00+00:00', k: 'o', i: crypto.randomUUID() })).toString('base64url');
    const injected = Buffer.from(JSON.stringify({ t: '2026-12-07T09:00:00+00:00', c: 'x),user_id.neq.(0' })).toString('base64url');
    for (const cursor of ['garbage', '%7B%7D', messagesCursor, injected]) {
      const reply = await api('GET', `/conversations?cursor=${cursor}`, { token: user.token });
      expect([reply.status, reply.body.error.code], cursor).toEqual([400, 'invalid_cursor']);
      expect(reply.body.error.message).toMatch(/cursor/);
    }
    for (const limit of ['0', '201', 'many']) {
      const reply = await api('GET', `/conversations?limit=${limit}`, { token: user.token });
      expect([reply.status, reply.body.error.code], limit).toEqual([400, 'validation_failed']);
    }
  });
});
