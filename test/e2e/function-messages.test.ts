// The whatsapp Edge Function end to end: POST /messages (validation, idempotency, session rules, media from
// Storage with its refusals),
// GET /messages (merged newest-first pages), isolation between users, and the per-user rate limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaFixtures } from '../support/media-fixtures.ts';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness, type TestUser } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  h = await startFunctionHarness();
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => { await h?.stop(); });

const countOutbound = async (userId: string) =>
  Number((await h.stack.sql`select count(*)::int as n from outbound_messages where user_id = ${userId}`)[0]!.n);

/** A signed-in user with an active (linking) session. */
async function userWithSession(): Promise<TestUser & { sessionId: string }> {
  const user = await createSignedInUser(h.stack);
  const reply = await api('POST', '/sessions', { token: user.token });
  expect(reply.status).toBe(201);
  return { ...user, sessionId: reply.body.id };
}

describe('whatsapp function: POST /messages', () => {
  it('queues a text on the active session (202) via functions.invoke, with the recipient in E.164', async () => {
    const user = await userWithSession();
    const { data, error } = await user.client.functions.invoke('whatsapp/messages', { body: { to: '+1 (415) 555-2671', text: 'Hello!' } });
    expect(error).toBeNull();
    expect(data).toMatchObject({ session_id: user.sessionId, to: '+14155552671', text: 'Hello!', status: 'queued', content_type: 'text', idempotency_key: null });
    const [row] = await h.stack.sql`select recipient, text, status from outbound_messages where id = ${data.id}`;
    expect(row).toEqual({ recipient: '+14155552671', text: 'Hello!', status: 'queued' });
  });

  it('normalizes national numbers with the default country, and counts text length in characters', async () => {
    const user = await userWithSession();
    const national = await api('POST', '/messages', { token: user.token, json: { to: '(415) 555-2671', text: 'hi' } });
    expect([national.status, national.body.to]).toEqual([202, '+14155552671']);
    const emoji = '😀'.repeat(4096); // 4096 characters, 8192 UTF-16 units, 16 KB of UTF-8
    const long = await api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text: emoji, session_id: user.sessionId } });
    expect(long.status).toBe(202);
  });

  it('refuses bad input with 400/401/413/415 and stable codes, and writes nothing', async () => {
    const user = await userWithSession();
    const ok = { to: '+14155552671', text: 'hi' };
    const cases: [Parameters<typeof api>[2], number, string][] = [
      [{ json: ok }, 401, 'auth_required'],
      [{ json: ok, token: 'not.a.jwt' }, 401, 'invalid_token'],
      [{ token: user.token, json: { ...ok, to: 'call me maybe' } }, 400, 'invalid_phone_number'],
      [{ token: user.token, json: { ...ok, to: '+1 415' } }, 400, 'invalid_phone_number'],
      [{ token: user.token, json: { ...ok, text: '' } }, 400, 'validation_failed'],
      [{ token: user.token, json: { ...ok, text: '   \n ' } }, 400, 'validation_failed'],
      [{ token: user.token, json: { ...ok, text: 'x'.repeat(4097) } }, 400, 'validation_failed'],
      [{ token: user.token, json: { to: ok.to } }, 400, 'validation_failed'],
      [{ token: user.token, json: { ...ok, status: 'sent' } }, 400, 'unknown_field'],
      [{ token: user.token, json: { ...ok, session_id: 'nope' } }, 400, 'validation_failed'],
      [{ token: user.token, body: '{"to": "+14155552671", "text": ', headers: { 'Content-Type': 'application/json' } }, 400, 'invalid_json'],
      [{ token: user.token, body: 'to=+14155552671&text=hi', headers: { 'Content-Type': 'text/plain' } }, 415, 'unsupported_media_type'],
      [{ token: user.token, json: { ...ok, text: 'x'.repeat(140_000) } }, 413, 'payload_too_large'],
      [{ token: user.token, json: { ...ok, idempotency_key: 'a' }, headers: { 'Idempotency-Key': 'b' } }, 400, 'idempotency_key_mismatch'],
      // a reply quoting a message this session does not have (insert trigger: WL404, hint quoted_not_found)
      [{ token: user.token, json: { ...ok, quoted_wa_message_id: 'NOSUCHID' } }, 404, 'quoted_not_found'],
      // Postgres text cannot hold U+0000 (SQLSTATE 22P05 through PostgREST's JSON): a 400, not a 500
      [{ token: user.token, json: { ...ok, text: 'hi\u0000there' } }, 400, 'validation_failed'],
      [{ token: user.token, json: { ...ok, text: '\u0000' } }, 400, 'validation_failed'],
      [{ token: user.token, json: { ...ok, idempotency_key: 'key\u0000' } }, 400, 'validation_failed'],
      // an unpaired surrogate is not Unicode (the local stack's UTF-8 encoder would store U+FFFD instead)
      [{ token: user.token, json: { ...ok, text: 'hi \ud800 there' } }, 400, 'validation_failed'],
    ];
    for (const [options, status, code] of cases) {
      const reply = await api('POST', '/messages', options);
      expect([reply.status, reply.body.error?.code], JSON.stringify(options).slice(0, 120)).toEqual([status, code]);
      expect(typeof reply.body.error.message).toBe('string');
    }
    expect(await countOutbound(user.id)).toBe(0);
  });

  it('409 no_active_session without a session; 409 session_cannot_send on a logged-out one; 404 for another user\'s', async () => {
    const lonely = await createSignedInUser(h.stack);
    const none = await api('POST', '/messages', { token: lonely.token, json: { to: '+14155552671', text: 'hi' } });
    expect([none.status, none.body.error.code]).toEqual([409, 'no_active_session']);

    const user = await userWithSession();
    await h.stack.sql`update whatsapp_sessions set status = 'logged_out' where id = ${user.sessionId}`;
    const out = await api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text: 'hi' } });
    expect([out.status, out.body.error.code]).toEqual([409, 'no_active_session']);
    const explicit = await api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text: 'hi', session_id: user.sessionId } });
    expect([explicit.status, explicit.body.error.code]).toEqual([409, 'session_cannot_send']);

    const other = await userWithSession();
    const foreign = await api('POST', '/messages', { token: lonely.token, json: { to: '+14155552671', text: 'hi', session_id: other.sessionId } });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'session_not_found']);
    expect(await countOutbound(lonely.id) + await countOutbound(user.id) + await countOutbound(other.id)).toBe(0);
  });

  it('an idempotency key returns the same row and sends nothing twice (body or header, also concurrently)', async () => {
    const user = await userWithSession();
    const msg = { to: '+14155552671', text: 'Your order shipped', idempotency_key: 'order-1' };
    const first = await api('POST', '/messages', { token: user.token, json: msg });
    const again = await api('POST', '/messages', { token: user.token, json: msg });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const viaHeader = { to: '+14155552671', text: 'Header keyed' };
    const h1 = await api('POST', '/messages', { token: user.token, json: viaHeader, headers: { 'Idempotency-Key': 'order-2' } });
    const h2 = await api('POST', '/messages', { token: user.token, json: { ...viaHeader, idempotency_key: 'order-2' } });
    expect(h2.body.id).toBe(h1.body.id);
    expect(h1.body.idempotency_key).toBe('order-2');

    const burst = await Promise.all(Array.from({ length: 5 }, () =>
      api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text: 'Burst', idempotency_key: 'order-3' } })));
    expect(new Set(burst.map((r) => `${r.status} ${r.body.id}`)).size).toBe(1);
    expect(burst[0]!.status).toBe(202);
    expect(await countOutbound(user.id)).toBe(3);
  });

  it('the same idempotency key with a different message is 409 idempotency_conflict, nothing written', async () => {
    const user = await userWithSession();
    await api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text: 'A', idempotency_key: 'k' } });
    for (const changed of [{ text: 'B' }, { to: '+14155552672' }]) {
      const reply = await api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text: 'A', idempotency_key: 'k', ...changed } });
      expect([reply.status, reply.body.error.code]).toEqual([409, 'idempotency_conflict']);
    }
    expect(await countOutbound(user.id)).toBe(1);
    // Keys are per user: another user may use the same key.
    const other = await userWithSession();
    const theirs = await api('POST', '/messages', { token: other.token, json: { to: '+14155552671', text: 'B', idempotency_key: 'k' } });
    expect(theirs.status).toBe(202);
  });
});

describe('whatsapp function: POST /messages with media', () => {
  async function upload(user: TestUser, name: string, data: Buffer, contentType: string): Promise<string> {
    const path = `${user.id}/outbox/${name}`;
    const { error } = await user.client.storage.from('whatsapp-media').upload(path, data, { contentType, upsert: true });
    expect(error).toBeNull();
    return path;
  }

  it('queues each media kind from the caller\'s upload, with caption, file name and quoted message; type and size come from the object', async () => {
    const user = await userWithSession();
    const quoted = 'QUOTED1'; // a message of this session (a quote of an unknown id is refused: quoted_not_found)
    await h.stack.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, sender_phone, message_type, text, wa_timestamp)
      values (${user.sessionId}, ${user.id}, ${quoted}, '14155552671@s.whatsapp.net', '14155552671@s.whatsapp.net', '+14155552671', 'text', 'the question', now())`;
    const kinds = [
      { content_type: 'image', data: mediaFixtures.jpeg(), mime: 'image/jpeg', name: 'house.jpg', text: 'the house' },
      { content_type: 'video', data: mediaFixtures.mp4(20_000), mime: 'video/mp4', name: 'tour.mp4' },
      { content_type: 'audio', data: mediaFixtures.mp3(), mime: 'audio/mpeg', name: 'jingle.mp3' },
      { content_type: 'voice', data: mediaFixtures.ogg(), mime: 'audio/ogg', name: 'note.ogg' },
      { content_type: 'document', data: mediaFixtures.pdf(5000), mime: 'application/pdf', name: 'q.pdf', text: 'your quote', media_file_name: 'Quote 2026.pdf' },
      { content_type: 'sticker', data: mediaFixtures.webp(), mime: 'image/webp', name: 'smile.webp' },
    ];
    for (const k of kinds) {
      const media_path = await upload(user, k.name, k.data, k.mime);
      const json = {
        to: '+14155552671', content_type: k.content_type, media_path, quoted_wa_message_id: quoted,
        ...(k.text ? { text: k.text } : {}), ...(k.media_file_name ? { media_file_name: k.media_file_name } : {}),
      };
      const reply = await api('POST', '/messages', { token: user.token, json });
      expect(reply.status, JSON.stringify(reply.body)).toBe(202);
      expect(reply.body).toMatchObject({
        content_type: k.content_type, media_path, media_mime_type: k.mime, media_size_bytes: k.data.length, status: 'queued',
        text: k.text ?? null, media_file_name: k.media_file_name ?? null, quoted_wa_message_id: quoted,
      });
      const [row] = await h.stack.sql`select content_type, media_path, media_mime_type, media_size_bytes::int as size from outbound_messages where id = ${reply.body.id}`;
      expect(row).toEqual({ content_type: k.content_type, media_path, media_mime_type: k.mime, size: k.data.length });
    }
    // a replay with the same key returns the row; the same key for another file is a conflict
    const pdf = await upload(user, 'again.pdf', mediaFixtures.pdf(), 'application/pdf');
    const msg = { to: '+14155552671', content_type: 'document', media_path: pdf, idempotency_key: 'doc-1' };
    const first = await api('POST', '/messages', { token: user.token, json: msg });
    const again = await api('POST', '/messages', { token: user.token, json: msg });
    expect([first.status, again.status, again.body.id]).toEqual([202, 202, first.body.id]);
    const other = await api('POST', '/messages', { token: user.token, json: { ...msg, media_path: `${user.id}/outbox/q.pdf` } });
    expect([other.status, other.body.error?.code]).toEqual([409, 'idempotency_conflict']);
    expect(await countOutbound(user.id)).toBe(kinds.length + 1);
  });

  it('refuses a missing, someone else\'s, empty, unaccepted, too large or disguised file (PE and ELF named .pdf) with stable codes, nothing queued', async () => {
    const user = await userWithSession();
    const stranger = await userWithSession();
    const theirs = await upload(stranger, 'theirs.pdf', mediaFixtures.pdf(), 'application/pdf');
    const empty = await upload(user, 'empty.pdf', Buffer.alloc(0), 'application/pdf');
    const exeAsExe = await upload(user, 'setup.exe', mediaFixtures.exe(), 'application/x-msdownload');
    const bigSticker = await upload(user, 'big.webp', mediaFixtures.webp(600_000), 'image/webp');
    // the browser declares the type from the name: an executable renamed .pdf is uploaded as application/pdf
    const peAsPdf = await upload(user, 'invoice.pdf', mediaFixtures.exe(), 'application/pdf');
    const elfAsPdf = await upload(user, 'report.pdf', mediaFixtures.elf(), 'application/pdf');
    const binaryAsText = await upload(user, 'notes.txt', mediaFixtures.elf(), 'text/plain');
    const pngAsJpeg = await upload(user, 'photo.jpg', mediaFixtures.png(), 'image/jpeg');
    const to = '+14155552671';
    const cases: [Record<string, unknown>, number, string, RegExp?][] = [
      [{ content_type: 'document', media_path: `${user.id}/outbox/nothing.pdf` }, 404, 'media_not_found', /upload the file first/],
      [{ content_type: 'document', media_path: theirs }, 403, 'media_not_yours', /your own folder/],
      [{ content_type: 'document', media_path: empty }, 400, 'media_empty', /empty/],
      [{ content_type: 'document', media_path: exeAsExe }, 415, 'media_type_not_accepted', /does not take application\/x-msdownload/],
      [{ content_type: 'image', media_path: await upload(user, 'x.pdf', mediaFixtures.pdf(), 'application/pdf') }, 415, 'media_type_not_accepted'],
      [{ content_type: 'sticker', media_path: bigSticker }, 413, 'media_too_large', /at most 512000 bytes/],
      [{ content_type: 'document', media_path: peAsPdf }, 415, 'media_type_mismatch', /application\/x-msdownload, not the application\/pdf/],
      [{ content_type: 'document', media_path: elfAsPdf }, 415, 'media_type_mismatch', /application\/x-elf, not the application\/pdf/],
      [{ content_type: 'document', media_path: binaryAsText }, 415, 'media_type_mismatch', /application\/x-elf, not the text\/plain/],
      [{ content_type: 'image', media_path: pngAsJpeg }, 415, 'media_type_mismatch', /image\/png, not the image\/jpeg/],
      // schema rules
      [{ content_type: 'document' }, 400, 'validation_failed', /media_path is required/],
      [{ text: 'hi', media_path: peAsPdf }, 400, 'validation_failed', /needs content_type/],
      [{ content_type: 'voice', media_path: empty, text: 'caption' }, 400, 'validation_failed', /no caption/],
      [{ content_type: 'image', media_path: pngAsJpeg, media_file_name: 'a.jpg' }, 400, 'validation_failed', /only for documents/],
      [{ content_type: 'document', media_path: peAsPdf, media_file_name: '../etc/passwd' }, 400, 'validation_failed', /slashes/],
      [{ content_type: 'document', media_path: `${user.id}/../${stranger.id}/x.pdf` }, 400, 'validation_failed', /object path/],
      [{ content_type: 'gif', media_path: peAsPdf }, 400, 'validation_failed'],
      [{ content_type: 'image', media_path: pngAsJpeg, text: 'x'.repeat(1025) }, 400, 'validation_failed', /longer than 1024/],
    ];
    for (const [fields, status, code, message] of cases) {
      const reply = await api('POST', '/messages', { token: user.token, json: { to, ...fields } });
      expect([reply.status, reply.body.error?.code], JSON.stringify(fields)).toEqual([status, code]);
      if (message) expect(reply.body.error.message).toMatch(message);
    }
    expect(await countOutbound(user.id)).toBe(0);
  });
});

describe('whatsapp function: GET /messages', () => {
  it('pages through outbound and inbound messages merged newest first, with an opaque cursor', async () => {
    const user = await userWithSession();
    for (const text of ['out 1', 'out 2', 'out 3']) {
      expect((await api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text } })).status).toBe(202);
    }
    const [pivot] = await h.stack.sql<{ t: Date }[]>`select created_at as t from outbound_messages where user_id = ${user.id} and text = 'out 2'`;
    // Inbound rows: one at exactly the instant of 'out 2' (a tie across tables), two at the same later instant.
    await h.stack.sql`
      insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_phone, message_type, text, wa_timestamp, received_at)
      values (${user.sessionId}, ${user.id}, 'IN1', '14155552671@s.whatsapp.net', '+14155552671', 'conversation', 'in tie', now(), ${pivot!.t}),
             (${user.sessionId}, ${user.id}, 'IN2', '14155552671@s.whatsapp.net', '+14155552671', 'conversation', 'in late a', now(), now() + interval '1 hour'),
             (${user.sessionId}, ${user.id}, 'IN3', '14155552671@s.whatsapp.net', '+14155552671', 'conversation', 'in late b', now(), now() + interval '1 hour')`;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api('GET', `/messages${query}`, { token: user.token });
      expect(page.status).toBe(200);
      expect(page.body.messages.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.messages.map((m: { text: string }) => m.text));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen.slice(2)).toEqual(['out 3', 'out 2', 'in tie', 'out 1']);
    expect(seen.slice(0, 2).sort()).toEqual(['in late a', 'in late b']);
    expect(pages).toBe(3);

    const whole = await api('GET', `/messages?limit=100&session_id=${user.sessionId}`, { token: user.token });
    expect(whole.body.messages.map((m: { text: string }) => m.text)).toEqual(seen);
    expect(whole.body.next_cursor).toBeNull();
    expect(whole.body.messages[0]).toMatchObject({ direction: 'inbound', status: 'received', contact: '+14155552671', session_id: user.sessionId });
    expect(whole.body.messages[2]).toMatchObject({ direction: 'outbound', status: 'queued', contact: '+14155552671', from_me: true });
  });

  it('refuses a forged cursor, a bad limit and another user\'s session; another user sees none of it', async () => {
    const alice = await userWithSession();
    await api('POST', '/messages', { token: alice.token, json: { to: '+14155552671', text: 'private' } });
    const bob = await userWithSession();
    const cursor = await api('GET', '/messages?cursor=bm90LWEtY3Vyc29y', { token: bob.token });
    expect([cursor.status, cursor.body.error.code]).toEqual([400, 'invalid_cursor']);
    const limit = await api('GET', '/messages?limit=1000', { token: bob.token });
    expect([limit.status, limit.body.error.code]).toEqual([400, 'validation_failed']);
    const foreign = await api('GET', `/messages?session_id=${alice.sessionId}`, { token: bob.token });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'session_not_found']);
    const mine = await api('GET', '/messages', { token: bob.token });
    expect(mine.body).toEqual({ messages: [], next_cursor: null });
  });
});

describe('whatsapp function: who a message is with (the phone, or the name and "number hidden", never a LID)', () => {
  it('GET /messages and GET /conversations: a LID-only contact has contact null, number_hidden and its name; the owner\'s phone is never the contact', async () => {
    const user = await userWithSession();
    const contact = (lid: string, phone: string | null, name: string) => h.stack.sql`select record_whatsapp_contact(${user.sessionId},
      ${lid}, ${phone}, ${phone ? 'message' : null}, ${name}, p_seen => true) as id`.then(([r]) => r!.id as string);
    const hidden = await contact('987654321012345@lid', null, 'Lead sin número');
    const known = await contact('987654321012346@lid', '+14155550123', 'Ana');
    const inbound = (id: string, contactId: string, fromMe: boolean, text: string, second: number) => h.stack.sql`select store_inbound_message(${h.stack.sql.json({
      session_id: user.sessionId, user_id: user.id, wa_message_id: id, contact_id: contactId, from_me: fromMe, message_type: 'conversation', text,
      chat_jid: contactId === hidden ? '987654321012345@lid' : '987654321012346@lid', push_name: fromMe ? null : 'pushed',
      sender_phone: fromMe ? '+15550001111' : null, wa_timestamp: new Date(Date.UTC(2026, 11, 7, 10, 0, second)).toISOString() })})`;
    await inbound('NH1', hidden, false, 'vi tu anuncio', 0);
    await inbound('NH2', hidden, true, 'typed on the phone', 1);
    await inbound('NH3', known, false, 'hola', 2);

    const page = await api('GET', `/messages?session_id=${user.sessionId}`, { token: user.token });
    expect(page.status).toBe(200);
    const byText = Object.fromEntries(page.body.messages.map((m: any) => [m.text, m]));
    expect(byText['vi tu anuncio']).toMatchObject({ contact: null, number_hidden: true, contact_name: 'Lead sin número', contact_id: hidden });
    expect(byText['typed on the phone']).toMatchObject({ contact: null, number_hidden: true, contact_name: 'Lead sin número', from_me: true });
    expect(byText['hola']).toMatchObject({ contact: '+14155550123', number_hidden: false, contact_name: 'Ana', contact_id: known });
    expect(JSON.stringify(page.body.messages.map((m: any) => m.contact))).not.toMatch(/987654321|15550001111/);

    const list = await api('GET', `/conversations?session_id=${user.sessionId}`, { token: user.token });
    expect(list.status).toBe(200);
    expect(list.body.conversations).toEqual([
      { contact_id: known, session_id: user.sessionId, phone_number: '+14155550123', number_hidden: false, display_name: 'Ana',
        last_message: { text: 'hola', type: 'conversation', from_me: false, pending: false, at: expect.any(String) },
        unread_count: 1, last_activity_at: expect.any(String) },
      { contact_id: hidden, session_id: user.sessionId, phone_number: null, number_hidden: true, display_name: 'Lead sin número',
        last_message: { text: 'typed on the phone', type: 'conversation', from_me: true, pending: false, at: expect.any(String) },
        unread_count: 0, last_activity_at: expect.any(String) },
    ]);
    const other = await userWithSession();
    expect((await api('GET', '/conversations', { token: other.token })).body).toEqual({ conversations: [], next_cursor: null });
    const foreign = await api('GET', `/conversations?session_id=${user.sessionId}`, { token: other.token });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'session_not_found']);
    const bad = await api('GET', '/conversations?limit=0', { token: user.token });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);
  });
});

describe('whatsapp function: GET /messages carries the timeline and lists one chat (contact_id)', () => {
  it('pending, edits with previous texts, delete for everyone, imported and reactions; contact_id filters; a bad one is 4xx', async () => {
    const user = await userWithSession();
    const sql = h.stack.sql;
    const contact = (lid: string, name: string) => sql`select record_whatsapp_contact(${user.sessionId}, ${lid}, null, null, ${name}, p_seen => true) as id`
      .then(([r]) => r!.id as string);
    const lead = await contact('987654321012347@lid', 'Lead');
    const other = await contact('987654321012348@lid', 'Otro');
    const at = (second: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, second)).toISOString();
    const inbound = (id: string, contactId: string, fields: Record<string, unknown>) => sql`select store_inbound_message(${sql.json({
      session_id: user.sessionId, user_id: user.id, wa_message_id: id, contact_id: contactId, message_type: 'conversation',
      chat_jid: contactId === lead ? '987654321012347@lid' : '987654321012348@lid', wa_timestamp: at(0), ...fields } as never)})`;
    await inbound('PH1', lead, { message_type: 'placeholder', text: null, pending: true, pending_reason: 'message absent from node' });
    await inbound('ED1', lead, { text: 'first' });
    await sql`select record_inbound_edit(${user.sessionId}, 'ED1', false, 'second', ${at(5)})`;
    await inbound('DL1', lead, { text: 'oops' });
    await sql`select record_inbound_deletion(${user.sessionId}, 'DL1', false, ${at(6)})`;
    await inbound('HI1', lead, { text: 'from the history', imported: true });
    await inbound('OT1', other, { text: 'another chat' });
    await sql`select record_message_reaction(${user.sessionId}, 'ED1', false, ${lead}, '❤️', ${at(7)})`;
    await sql`select record_message_reaction(${user.sessionId}, 'ED1', true, null, '👍', ${at(8)})`;
    const sent = await api('POST', '/messages', { token: user.token, json: { contact_id: lead, text: 'our answer' } });
    expect(sent.status).toBe(202);

    const chat = await api('GET', `/messages?contact_id=${lead}&session_id=${user.sessionId}`, { token: user.token });
    expect(chat.status).toBe(200);
    const byId = Object.fromEntries(chat.body.messages.map((m: any) => [m.wa_message_id, m]));
    expect(Object.keys(byId).sort()).toEqual(['DL1', 'ED1', 'HI1', 'PH1', sent.body.wa_message_id].sort());
    const plain = { pending: false, edited_at: null, previous_texts: [], deleted_at: null, imported: false, reactions: [] };
    expect(byId.PH1).toMatchObject({ ...plain, pending: true, text: null, type: 'placeholder' });
    expect(byId.ED1).toMatchObject({ ...plain, text: 'second', edited_at: expect.any(String),
      previous_texts: [{ text: 'first', replaced_at: expect.any(String) }],
      reactions: [{ emoji: '❤️', from_me: false, reacted_at: expect.any(String) }, { emoji: '👍', from_me: true, reacted_at: expect.any(String) }] });
    expect(new Date(byId.ED1.edited_at).toISOString()).toBe(at(5));
    expect(byId.DL1).toMatchObject({ ...plain, deleted_at: expect.any(String) });
    expect(byId.HI1).toMatchObject({ ...plain, imported: true });
    expect(byId[sent.body.wa_message_id]).toMatchObject({ ...plain, direction: 'outbound', text: 'our answer' });

    const stranger = await userWithSession();
    const cases: [string, string, number, string][] = [
      [user.token, 'contact_id=nope', 400, 'validation_failed'],
      [user.token, `contact_id=${crypto.randomUUID()}`, 404, 'contact_not_found'],
      [user.token, `contact_id=${lead}&session_id=${stranger.sessionId}`, 404, 'session_not_found'],
      [stranger.token, `contact_id=${lead}`, 404, 'contact_not_found'],
    ];
    for (const [token, query, status, code] of cases) {
      const reply = await api('GET', `/messages?${query}`, { token });
      expect([reply.status, reply.body.error?.code], query).toEqual([status, code]);
    }
  });
});

describe('whatsapp function: rate limit', () => {
  it('limits each user per window across requests (429 rate_limited with Retry-After); other users are unaffected', async () => {
    const user = await createSignedInUser(h.stack);
    const limit = h.limits.messages;
    let refused: Awaited<ReturnType<typeof api>> | undefined;
    // Within 2 × limit + 1 requests a window must overflow, even if one window boundary passes meanwhile.
    for (let i = 0; i < 2 * limit + 1 && !refused; i++) {
      const reply = await api('GET', '/messages', { token: user.token });
      if (reply.status === 429) refused = reply;
      else expect(reply.status).toBe(200);
    }
    expect(refused?.body.error.code).toBe('rate_limited');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const queued = await api('POST', '/messages', { token: user.token, json: { to: '+14155552671', text: 'hi' } });
    expect(queued.status).toBe(429);
    const other = await createSignedInUser(h.stack);
    expect((await api('GET', '/messages', { token: other.token })).status).toBe(200);
  });
});
