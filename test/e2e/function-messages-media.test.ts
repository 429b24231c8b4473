// The whatsapp Edge Function's media facts end to end (real Deno, real Storage, real PostgREST): GET /messages
// items carry what a CRM needs to show a media message without a second call (kind, type, size, name, duration /
// dimensions, a received voice note's waveform, a signed URL that serves the file, the preview as a data URL within
// a per-page budget, the rest through GET /messages/{direction}/{id}/thumbnail); POST /messages takes a preview
// and refuses a path that names the bucket or someone else's folder. The inbound rows are written as the connector
// writes them (service role SQL), the files uploaded as the owner (the bucket's RLS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaFixtures } from '../support/media-fixtures.ts';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness, type TestUser } from './function-stack.ts';

let h: FunctionHarness;
let api: ReturnType<typeof apiCaller>;
beforeAll(async () => {
  // the function's default body limit (128 KiB): it carries a 64 KiB preview (87 KB of base64)
  h = await startFunctionHarness();
  api = apiCaller(h.functionUrl);
}, 240_000);
afterAll(async () => { await h?.stop(); });

const PHONE = '+14155552671';
const JID = '14155552671@s.whatsapp.net';

async function userWithSession(): Promise<TestUser & { sessionId: string }> {
  const user = await createSignedInUser(h.stack);
  const reply = await api('POST', '/sessions', { token: user.token });
  expect(reply.status).toBe(201);
  return { ...user, sessionId: reply.body.id };
}

async function upload(user: TestUser, path: string, data: Buffer, contentType: string): Promise<string> {
  const { error } = await user.client.storage.from('whatsapp-media').upload(path, data, { contentType, upsert: true });
  expect(error).toBeNull();
  return path;
}

/** A JPEG-looking preview of `size` bytes (the column checks the FF D8 FF start and the 64 KiB bound). */
const preview = (size: number, fill: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(size - 4, fill)]);
const dataUrl = (jpeg: Buffer) => `data:image/jpeg;base64,${jpeg.toString('base64')}`;

interface InboundMedia {
  wa: string; kind: string; state: string; path?: string | null; mime: string; size: number; seconds?: number | null;
  width?: number | null; height?: number | null; fileName?: string | null; error?: string | null; thumbnail?: Buffer | null;
  waveform?: Buffer | null; caption?: string | null; at?: string;
}

async function insertInbound(user: TestUser & { sessionId: string }, m: InboundMedia): Promise<string> {
  const [row] = await h.stack.sql`
    insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, sender_jid, sender_phone, message_type, text, wa_timestamp,
      received_at, media_kind, media_state, media_path, media_stored_at, media_mime_type, media_size_bytes, media_duration_seconds,
      media_width, media_height, media_file_name, media_error, media_thumbnail, media_waveform)
    values (${user.sessionId}, ${user.id}, ${m.wa}, ${JID}, ${JID}, ${PHONE}, ${`${m.kind}Message`}, ${m.caption ?? null}, now(),
      ${m.at ?? new Date().toISOString()}, ${m.kind}::media_kind, ${m.state}::media_state, ${m.path ?? null},
      ${m.state === 'stored' ? new Date() : null}, ${m.mime}, ${m.size}, ${m.seconds ?? null}, ${m.width ?? null}, ${m.height ?? null},
      ${m.fileName ?? null}, ${m.error ?? null}, ${m.thumbnail ?? null}, ${m.waveform ?? null})
    returning id::text`;
  return row!.id as string;
}

describe('whatsapp function: GET /messages media facts', () => {
  it('gives each media item its kind, type, size, name, duration/dimensions, waveform, a signed URL serving the file and the preview', async () => {
    const user = await userWithSession();
    const base = `${user.id}/${user.sessionId}`;
    const photo = mediaFixtures.jpeg();
    const note = mediaFixtures.ogg();
    const photoPreview = preview(900, 1);
    const waveform = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 7) % 101));
    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    await insertInbound(user, { wa: 'PHOTO1', kind: 'image', state: 'stored', path: await upload(user, `${base}/PHOTO1.jpg`, photo, 'image/jpeg'),
      mime: 'image/jpeg', size: photo.length, width: 1, height: 1, thumbnail: photoPreview, caption: 'the house', at: at(1) });
    await insertInbound(user, { wa: 'VOICE1', kind: 'voice', state: 'stored', path: await upload(user, `${base}/VOICE1.ogg`, note, 'audio/ogg'),
      mime: 'audio/ogg; codecs=opus', size: note.length, seconds: 4, waveform, at: at(2) });
    await insertInbound(user, { wa: 'DOC1', kind: 'document', state: 'too_large', mime: 'application/pdf', size: 300_000_000,
      fileName: 'catalog.pdf', error: 'larger than the 100 MB cap', thumbnail: preview(500, 2), at: at(3) });
    await insertInbound(user, { wa: 'VID1', kind: 'video', state: 'pending', mime: 'video/mp4', size: 4000, seconds: 7, width: 640, height: 360, at: at(4) });
    const clip = mediaFixtures.mp4(20_000);
    const clipPreview = preview(1200, 3);
    const sent = await api('POST', '/messages', { token: user.token, json: {
      to: PHONE, content_type: 'video', media_path: await upload(user, `${user.id}/outbox/tour.mp4`, clip, 'video/mp4'),
      text: 'the tour', media_thumbnail: dataUrl(clipPreview),
    } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect((await api('POST', '/messages', { token: user.token, json: { to: PHONE, text: 'plain text' } })).status).toBe(202);

    const page = await api('GET', '/messages', { token: user.token });
    expect(page.status).toBe(200);
    const byText = (text: string) => page.body.messages.find((m: { text: string }) => m.text === text);
    const byWa = (wa: string) => page.body.messages.find((m: { wa_message_id: string }) => m.wa_message_id === wa);
    expect(byText('plain text').media).toBeNull();

    const image = byWa('PHOTO1');
    expect(image).toMatchObject({ direction: 'inbound', text: 'the house', media: {
      kind: 'image', state: 'stored', mime_type: 'image/jpeg', size_bytes: photo.length, width: 1, height: 1, duration_seconds: null,
      waveform: null, path: `${base}/PHOTO1.jpg`, thumbnail: dataUrl(photoPreview), has_thumbnail: true, error: null,
    } });
    const expires = Date.parse(image.media.url_expires_at) - Date.now();
    expect(expires).toBeGreaterThan(60_000);
    expect(expires).toBeLessThanOrEqual(600_000);
    expect(Buffer.from(await (await fetch(image.media.url)).arrayBuffer()).equals(photo)).toBe(true);

    const voice = byWa('VOICE1');
    expect(voice.media).toMatchObject({ kind: 'voice', state: 'stored', mime_type: 'audio/ogg; codecs=opus', duration_seconds: 4,
      waveform: [...waveform], thumbnail: null, has_thumbnail: false });
    expect(Buffer.from(await (await fetch(voice.media.url)).arrayBuffer()).equals(note)).toBe(true);

    // not stored: the facts and the reason, no path or URL; the preview still shows
    expect(byWa('DOC1').media).toMatchObject({ kind: 'document', state: 'too_large', file_name: 'catalog.pdf', size_bytes: 300_000_000,
      path: null, url: null, url_expires_at: null, error: 'larger than the 100 MB cap', thumbnail: dataUrl(preview(500, 2)) });
    expect(byWa('VID1').media).toMatchObject({ kind: 'video', state: 'pending', duration_seconds: 7, width: 640, height: 360, url: null, has_thumbnail: false });

    // outbound: the user's upload, signed; the preview it is sent with
    const video = byText('the tour');
    expect(video).toMatchObject({ direction: 'outbound', media: { kind: 'video', state: 'stored', mime_type: 'video/mp4', size_bytes: clip.length,
      path: `${user.id}/outbox/tour.mp4`, thumbnail: dataUrl(clipPreview), has_thumbnail: true } });
    expect(Buffer.from(await (await fetch(video.media.url)).arrayBuffer()).equals(clip)).toBe(true);
    const [row] = await h.stack.sql`select media_thumbnail from outbound_messages where id = ${sent.body.id}`;
    expect(Buffer.from(row!.media_thumbnail as Uint8Array).equals(clipPreview)).toBe(true);
  });

  it('keeps a page bounded: previews past the page budget are flagged and served by the thumbnail route, to the owner only', async () => {
    const owner = await userWithSession();
    const stranger = await userWithSession();
    const previews = Array.from({ length: 6 }, (_, i) => preview(60_000, 10 + i));
    const ids: string[] = [];
    for (const [i, jpeg] of previews.entries()) {
      ids.push(await insertInbound(owner, { wa: `BIG${i}`, kind: 'image', state: 'pending', mime: 'image/jpeg', size: 9000, thumbnail: jpeg,
        at: new Date(Date.now() - (10 - i) * 1000).toISOString() }));
    }
    const noPreview = await insertInbound(owner, { wa: 'NOPREVIEW', kind: 'sticker', state: 'pending', mime: 'image/webp', size: 100 });

    const page = await api('GET', '/messages', { token: owner.token });
    expect(page.status).toBe(200);
    const images = page.body.messages.filter((m: { wa_message_id: string }) => m.wa_message_id.startsWith('BIG'));
    expect(images).toHaveLength(6);
    expect(images.every((m: { media: { has_thumbnail: boolean } }) => m.media.has_thumbnail)).toBe(true);
    // newest first: four 60 kB previews fit the 256 KiB budget, the two oldest do not
    expect(images.map((m: { media: { thumbnail: string | null } }) => m.media.thumbnail !== null)).toEqual([true, true, true, true, false, false]);
    expect(JSON.stringify(page.body).length).toBeLessThan(400_000);

    const thumb = (token: string, direction: string, id: string) =>
      fetch(`${h.functionUrl}/messages/${direction}/${id}/thumbnail`, { headers: { Authorization: `Bearer ${token}` } });
    const oldest = await thumb(owner.token, 'inbound', ids[0]!);
    expect([oldest.status, oldest.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    expect(Buffer.from(await oldest.arrayBuffer()).equals(previews[0]!)).toBe(true);

    const refusals: [string, string, string, number, string][] = [
      [stranger.token, 'inbound', ids[0]!, 404, 'message_not_found'],
      [owner.token, 'inbound', noPreview, 404, 'thumbnail_not_found'],
      [owner.token, 'inbound', 'abc', 404, 'message_not_found'],
      [owner.token, 'outbound', '00000000-0000-4000-8000-000000000000', 404, 'message_not_found'],
      [owner.token, 'outbound', '12', 404, 'message_not_found'],
    ];
    for (const [token, direction, id, status, code] of refusals) {
      const res = await thumb(token, direction, id);
      expect([res.status, (await res.json()).error.code], `${direction}/${id}`).toEqual([status, code]);
    }
    const sideways = await thumb(owner.token, 'sideways', ids[0]!);
    expect(sideways.status).toBe(400);
    expect((await api('GET', '/messages', { token: stranger.token })).body.messages).toEqual([]);
  });
});

describe('whatsapp function: POST /messages media refusals (paths and previews)', () => {
  it('refuses a path that names the bucket or another folder, and a preview that is not a small JPEG data URL, nothing queued', async () => {
    const user = await userWithSession();
    const clip = await upload(user, `${user.id}/outbox/clip.mp4`, mediaFixtures.mp4(5000), 'video/mp4');
    const note = await upload(user, `${user.id}/outbox/n.ogg`, mediaFixtures.ogg(), 'audio/ogg');
    const cases: [Record<string, unknown>, number, string, RegExp][] = [
      [{ content_type: 'video', media_path: `whatsapp-media/${clip}` }, 400, 'media_path_invalid', /without the bucket's name: "[^"]+\/outbox\/clip\.mp4"/],
      [{ content_type: 'video', media_path: `avatars/${clip}` }, 403, 'media_not_yours', /your own folder/],
      [{ content_type: 'video', media_path: clip, media_thumbnail: dataUrl(Buffer.from(mediaFixtures.png())).replace('jpeg', 'png') }, 400, 'validation_failed', /JPEG/],
      [{ content_type: 'video', media_path: clip, media_thumbnail: dataUrl(mediaFixtures.png()) }, 400, 'validation_failed', /JPEG/],
      [{ content_type: 'video', media_path: clip, media_thumbnail: dataUrl(preview(70_000, 1)) }, 400, 'validation_failed', /at most 64 KiB/],
      [{ content_type: 'video', media_path: clip, media_thumbnail: 'data:image/jpeg;base64,@@@' }, 400, 'validation_failed', /JPEG/],
      [{ content_type: 'voice', media_path: note, media_thumbnail: dataUrl(preview(100, 1)) }, 400, 'validation_failed', /only for images, video and documents/],
    ];
    for (const [fields, status, code, message] of cases) {
      const reply = await api('POST', '/messages', { token: user.token, json: { to: PHONE, ...fields } });
      expect([reply.status, reply.body.error?.code], JSON.stringify(fields).slice(0, 200)).toEqual([status, code]);
      expect(`${reply.body.error.message} ${JSON.stringify(reply.body.error.details ?? null)}`).toMatch(message);
    }
    expect((await h.stack.sql`select count(*)::int as n from outbound_messages where user_id = ${user.id}`)[0]!.n).toBe(0);
  });

  it('takes a preview of exactly 64 KiB under the default body limit; one byte more is 400, a body over the limit 413, nothing queued', async () => {
    const user = await userWithSession();
    const doc = await upload(user, `${user.id}/outbox/catalog.pdf`, mediaFixtures.pdf(), 'application/pdf');
    const send = (thumbnail: string) => api('POST', '/messages', {
      token: user.token, json: { to: PHONE, content_type: 'document', media_path: doc, text: '€'.repeat(1024), media_thumbnail: thumbnail },
    });
    const largest = preview(65_536, 9);
    const sent = await send(dataUrl(largest));
    expect(sent.status, JSON.stringify(sent.body).slice(0, 300)).toBe(202);
    const [row] = await h.stack.sql`select media_thumbnail from outbound_messages where id = ${sent.body.id}`;
    expect(Buffer.from(row!.media_thumbnail as Uint8Array).equals(largest)).toBe(true);

    const over = await send(dataUrl(preview(65_537, 9)));
    expect([over.status, over.body.error?.code]).toEqual([400, 'validation_failed']);
    expect(JSON.stringify(over.body.error)).toMatch(/at most 64 KiB/);
    const huge = await send(`data:image/jpeg;base64,${'A'.repeat(128 * 1024)}`);
    expect([huge.status, huge.body.error?.code]).toEqual([413, 'payload_too_large']);
    expect((await h.stack.sql`select count(*)::int as n from outbound_messages where user_id = ${user.id}`)[0]!.n).toBe(1);
  });
});
