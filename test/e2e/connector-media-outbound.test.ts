// Outbound media end to end: a user uploads a file into their own folder of the whatsapp-media bucket
// (supabase-js against the local stack's /storage/v1), queues an outbound_messages row pointing at it
// (supabase-js, RLS), and the connector (in process) sends it through real Baileys: encrypted, uploaded to
// the simulator's media host, and the contact decrypts exactly the bytes the user uploaded. Refusals: the
// insert trigger (missing, someone else's, zero-byte objects: nothing queued) and the connector's MIME
// sniffing (an executable uploaded as application/pdf fails with media_type_mismatch, never sent).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SignedUpUser } from '../support/stack.ts';
import { mediaFixtures } from '../support/media-fixtures.ts';
import {
  useConnectorFixture, createLinkedSession, randomPhone, startTestConnector, waitFor,
} from './connector-support.ts';

let owner: SignedUpUser;
let other: SignedUpUser;
const fx = useConnectorFixture({
  stack: {},
  simulator: { receiptDelayMs: 10 },
  before: async ({ stack, db, sim, sessions }) => {
    owner = await stack.signUp();
    other = await stack.signUp();
    sessions.push(await createLinkedSession(db, sim, undefined, undefined, owner.user.id));
  },
  env: ({ stack, sim }) => ({
    MEDIA: 'enabled', SUPABASE_URL: stack.url, SUPABASE_SECRET_KEY: stack.secretKey,
    WA_SIM_MEDIA_CA: Buffer.from(sim.mediaCaPem).toString('base64'),
  }),
});

async function upload(user: SignedUpUser, name: string, data: Buffer, contentType: string): Promise<string> {
  const path = `${user.user.id}/outbox/${name}`;
  const { error } = await user.client.storage.from('whatsapp-media').upload(path, data, { contentType, upsert: true });
  expect(error).toBeNull();
  return path;
}

async function queue(user: SignedUpUser, row: Record<string, unknown>) {
  return user.client.from('outbound_messages').insert({ session_id: fx.session.sessionId, ...row }).select('id, wa_message_id').single();
}

const finalRow = (id: string) => waitFor(async () => {
  const [row] = await fx.db.sql`select status, error_code, error, media_mime_type, media_size_bytes from outbound_messages where id = ${id}`;
  return row && ['sent', 'delivered', 'read', 'failed'].includes(row.status as string) ? row : null;
}, `row ${id} to leave the queue`, 60_000);

describe('connector: outbound media', () => {
  it('sends each kind from the user\'s upload; the contact decrypts the same bytes, with caption, file name and push-to-talk', async () => {
    const contact = fx.sim.contact(await randomPhone(), { name: 'Buyer' });
    const ask = await contact.sendText(fx.session.phone, 'can you send the quote?');
    await waitFor(async () => (await fx.db.sql`select 1 from inbound_messages where wa_message_id = ${ask}`)[0], 'the question to be stored');
    const files = [
      { content_type: 'image', data: mediaFixtures.png(), mime: 'image/png', name: 'photo.png', text: 'the kitchen' },
      { content_type: 'video', data: mediaFixtures.mp4(250_000), mime: 'video/mp4', name: 'tour.mp4', text: 'tour' },
      { content_type: 'audio', data: mediaFixtures.mp3(), mime: 'audio/mpeg', name: 'jingle.mp3' },
      { content_type: 'voice', data: mediaFixtures.ogg(), mime: 'audio/ogg', name: 'note.ogg' },
      { content_type: 'document', data: mediaFixtures.pdf(80_000), mime: 'application/pdf', name: 'quote.pdf', text: 'your quote', file: 'Quote 2026.pdf', quote: ask },
      { content_type: 'sticker', data: mediaFixtures.webp(), mime: 'image/webp', name: 'smile.webp' },
    ];
    const queued: { id: string; waId: string }[] = [];
    for (const f of files) {
      const path = await upload(owner, f.name, f.data, f.mime);
      const { data, error } = await queue(owner, {
        recipient: contact.phone, content_type: f.content_type, media_path: path, text: f.text ?? null, media_file_name: f.file ?? null,
        quoted_wa_message_id: f.quote ?? null,
      });
      expect(error).toBeNull();
      queued.push({ id: data!.id, waId: data!.wa_message_id });
    }
    const received = await contact.waitForCount(files.length, { timeoutMs: 60_000 });
    expect(received.map((m) => m.id)).toEqual(queued.map((q) => q.waId));
    expect(received.map((m) => m.media?.kind)).toEqual(['image', 'video', 'audio', 'voice', 'document', 'sticker']);
    for (const [i, f] of files.entries()) {
      expect(received[i]!.media?.error).toBeUndefined();
      expect(received[i]!.media!.data.equals(f.data)).toBe(true);
      if (f.text) expect(received[i]!.media?.caption).toBe(f.text);
    }
    expect(received[4]!.media).toMatchObject({ fileName: 'Quote 2026.pdf', mimetype: 'application/pdf' });
    // a voice note as the phone shows it: push-to-talk with its length (Baileys reads it from the Ogg container)
    expect(received[3]!.media).toMatchObject({ mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 4 });
    expect(received[2]!.media?.ptt).toBe(false);
    // the photo carries its preview and size (Baileys with sharp); the document quotes the contact's question
    expect(received[0]!.media).toMatchObject({ width: 1, height: 1 });
    expect(received[0]!.media?.jpegThumbnail?.length).toBeGreaterThan(0);
    expect(contact.repActions().quotes.get(queued[4]!.waId)).toBe(ask);
    for (const [i, q] of queued.entries()) {
      const row = await finalRow(q.id);
      expect(row.status).not.toBe('failed');
      expect(row).toMatchObject({ media_mime_type: files[i]!.mime, media_size_bytes: String(files[i]!.data.length) });
    }
    // receipts as for text: the contact's phone reads them
    await waitFor(async () => {
      const rows = await fx.db.sql`select status from outbound_messages where id = any(${queued.map((q) => q.id)}::uuid[])`;
      return rows.every((r) => r.status === 'read');
    }, 'every media row to be read');
    expect(fx.sim.stats()).toMatchObject({ mediaErrors: 0 });
  }, 120_000);

  it('sends a voice note with the length and waveform of its audio (rc14 computes none: it needs audio-decode, not installed)', async () => {
    const contact = fx.sim.contact(await randomPhone());
    const note = readFileSync(new URL('../support/fixtures/voice-note.ogg', import.meta.url));
    const path = await upload(owner, 'real-note.ogg', note, 'audio/ogg');
    const { data, error } = await queue(owner, { recipient: contact.phone, content_type: 'voice', media_path: path });
    expect(error).toBeNull();
    const [got] = await contact.waitForCount(1, { timeoutMs: 60_000 });
    expect(got!.id).toBe(data!.wa_message_id);
    expect(got!.media).toMatchObject({ kind: 'voice', ptt: true, seconds: 4 });
    expect(got!.media!.data.equals(note)).toBe(true);
    // 1 s silence, 1 s loud, 1 s at a quarter, 1 s silence (the fixture): 64 bars of 0-100
    const bars = Array.from(got!.media!.waveform ?? []);
    expect(bars).toHaveLength(64);
    expect(Math.max(...bars.slice(1, 15))).toBeLessThanOrEqual(2);
    expect(Math.min(...bars.slice(17, 31))).toBeGreaterThanOrEqual(85);
    expect(Math.max(...bars.slice(33, 47))).toBeLessThanOrEqual(35);
    expect(Math.min(...bars.slice(33, 47))).toBeGreaterThanOrEqual(15);
    expect(Math.max(...bars.slice(49, 63))).toBeLessThanOrEqual(2);
    expect((await finalRow(data!.id)).status).not.toBe('failed');
    // the row keeps the waveform it was sent with (record_outbound_content), which its owner reads for the inbox
    const { data: mine, error: readError } = await owner.client.from('outbound_messages').select('media_waveform').eq('id', data!.id).single();
    expect(readError).toBeNull();
    expect(mine!.media_waveform).toBe(`\\x${Buffer.from(bars).toString('hex')}`);
  }, 120_000);

  it('sends a video with the preview queued with it (the web app draws one; rc14 needs ffmpeg); without one the video goes without', async () => {
    const contact = fx.sim.contact(await randomPhone());
    const preview = mediaFixtures.jpeg();
    const path = await upload(owner, 'with-preview.mp4', mediaFixtures.mp4(60_000), 'video/mp4');
    const withPreview = await queue(owner, {
      recipient: contact.phone, content_type: 'video', media_path: path, text: 'the flat', media_thumbnail: `\\x${preview.toString('hex')}`,
    });
    expect(withPreview.error).toBeNull();
    const bare = await queue(owner, { recipient: contact.phone, content_type: 'video', media_path: path });
    expect(bare.error).toBeNull();
    // only a JPEG of at most 64 KiB, and not on a voice note
    const png = await queue(owner, { recipient: contact.phone, content_type: 'video', media_path: path, media_thumbnail: `\\x${mediaFixtures.png().toString('hex')}` });
    expect(png.error).toMatchObject({ code: '23514' });
    const voicePath = await upload(owner, 'n.ogg', mediaFixtures.ogg(), 'audio/ogg');
    const onVoice = await queue(owner, { recipient: contact.phone, content_type: 'voice', media_path: voicePath, media_thumbnail: `\\x${preview.toString('hex')}` });
    expect(onVoice.error).toMatchObject({ code: '23514' });

    const received = await contact.waitForCount(2, { timeoutMs: 60_000 });
    expect(received.map((m) => m.id)).toEqual([withPreview.data!.wa_message_id, bare.data!.wa_message_id]);
    expect(received[0]!.media).toMatchObject({ kind: 'video', caption: 'the flat' });
    expect(received[0]!.media!.jpegThumbnail?.equals(preview)).toBe(true);
    expect(received[1]!.media!.jpegThumbnail).toBeNull();
    expect(received[1]!.media!.error).toBeUndefined();
  }, 120_000);

  it('refuses a missing, someone else\'s or empty object at insert (nothing queued), and an executable uploaded as a PDF when sending', async () => {
    const contact = fx.sim.contact(await randomPhone());
    const before = (await fx.db.sql`select count(*)::int as n from outbound_messages where session_id = ${fx.session.sessionId}`)[0]!.n as number;
    const missing = await queue(owner, { recipient: contact.phone, content_type: 'document', media_path: `${owner.user.id}/outbox/nothing.pdf` });
    expect(missing.error).toMatchObject({ code: 'WL404' });
    const foreignPath = await upload(other, 'theirs.pdf', mediaFixtures.pdf(), 'application/pdf');
    const foreign = await queue(owner, { recipient: contact.phone, content_type: 'document', media_path: foreignPath });
    expect(foreign.error).toMatchObject({ code: 'WL403' });
    const emptyPath = await upload(owner, 'empty.pdf', Buffer.alloc(0), 'application/pdf');
    const empty = await queue(owner, { recipient: contact.phone, content_type: 'document', media_path: emptyPath });
    expect(empty.error).toMatchObject({ code: 'WL411' });
    const exeAsName = await upload(owner, 'setup.pdf', mediaFixtures.exe(), 'application/x-msdownload');
    expect((await queue(owner, { recipient: contact.phone, content_type: 'document', media_path: exeAsName })).error).toMatchObject({ code: 'WL415' });
    expect((await fx.db.sql`select count(*)::int as n from outbound_messages where session_id = ${fx.session.sessionId}`)[0]!.n).toBe(before);

    // declared a PDF (the browser goes by the name), the bytes are a Windows executable: failed, never sent
    const disguised = await upload(owner, 'invoice.pdf', mediaFixtures.exe(), 'application/pdf');
    const { data, error } = await queue(owner, { recipient: contact.phone, content_type: 'document', media_path: disguised });
    expect(error).toBeNull();
    const row = await finalRow(data!.id);
    expect(row).toMatchObject({ status: 'failed', error_code: 'media_type_mismatch' });
    expect(row.error).toMatch(/not the application\/pdf/);
    expect(contact.receivedCount(data!.wa_message_id)).toBe(0);
  }, 120_000);
  it('a media message the contact could not decrypt is sent again after a restart, from what was kept at send time (getMessage)', async () => {
    const contact = fx.sim.contact(await randomPhone(), { name: 'Returning' });
    // a reply first, so the connector's session with this phone is established (it then encrypts `msg`, not `pkmsg`)
    const hello = await queue(owner, { recipient: contact.phone, content_type: 'text', text: 'hello' });
    await contact.waitForMessage({ id: hello.data!.wa_message_id }, { timeoutMs: 30_000 });
    const reply = await contact.sendText(fx.session.phone, 'hi, send me the photo');
    await waitFor(async () => (await fx.db.sql`select 1 from inbound_messages where wa_message_id = ${reply}`)[0], 'the reply to be stored');

    // the phone is restored from a backup: the next message cannot be decrypted, and its retry receipt comes late
    contact.loseSignalSessions();
    const decryptErrors = fx.sim.stats().decryptErrors;
    const photo = mediaFixtures.png();
    const path = await upload(owner, 'again.png', photo, 'image/png');
    const { data, error } = await queue(owner, { recipient: contact.phone, content_type: 'image', media_path: path, text: 'as promised' });
    expect(error).toBeNull();
    await waitFor(async () => (await fx.db.sql`select 1 from outbound_messages where id = ${data!.id} and status = 'sent'`)[0], 'the row to be sent');
    await waitFor(async () => fx.sim.stats().decryptErrors > decryptErrors, 'the phone to fail decrypting it');
    expect(contact.receivedCount(data!.wa_message_id)).toBe(0);
    const [kept] = await fx.db.sql`select message from outbound_sent_content where message_id = ${data!.id}`;
    expect(kept!.message.imageMessage).toMatchObject({ caption: 'as promised', mimetype: 'image/png' });

    // a new connector (nothing of the first socket's memory) gets the retry receipt and resends the same id
    await fx.connector.stop();
    fx.connector = await startTestConnector(fx.db, fx.sim, {
      MEDIA: 'enabled', SUPABASE_URL: fx.stack.url, SUPABASE_SECRET_KEY: fx.stack.secretKey,
      WA_SIM_MEDIA_CA: Buffer.from(fx.sim.mediaCaPem).toString('base64'),
    });
    await waitFor(async () => fx.connector.sessions().some((s) => s.open), 'the session to open again');
    expect(contact.answerRetries()).toBe(1);
    const again = await contact.waitForMessage({ id: data!.wa_message_id }, { timeoutMs: 30_000 });
    expect(again.media?.error).toBeUndefined();
    expect(again.media!.data.equals(photo)).toBe(true);
    expect(again.media?.caption).toBe('as promised');
    expect(contact.receivedCount(data!.wa_message_id)).toBe(1);
  }, 120_000);
});
