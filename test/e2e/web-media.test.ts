// Media in the web app, in Chromium against the real stack (Storage, rest, realtime), connector and
// simulator: inbound photos, voice notes, video and documents shown through signed URLs of the private
// bucket (the voice note really plays), files that are not stored say why, another user can neither
// sign nor list them; a photo, a voice note and a document attached in the send form are uploaded to
// `<user_id>/<session_id>/…` and queued; refused files never reach Storage.
//
// Inbound rows are written here as the connector stores them (object uploaded with the secret key, row
// with media_state 'stored'): this file tests the web app's part, the connector's download has its own tests.
// The files are real (made by Chromium: JPEG, Ogg Opus, H.264 MP4), so the browser decodes and plays them.
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findAccessibilityViolations, openPage, screenshot, type WatchedPage } from './web-browser.ts';
import { decodeQrScreenshot, randomPhone, scanLikeAUser, startWebHarness, type WebHarness } from './web-harness.ts';
import { makeMediaFiles, type MediaFiles } from './web-media-fixtures.ts';
import { mediaFixtures } from '../support/media-fixtures.ts';

const BUCKET = 'whatsapp-media';
let h: WebHarness;
let files: MediaFiles;
let main: WatchedPage;
let session: { id: string; user_id: string };
const accountPhone = randomPhone();
const contactPhone = randomPhone('+346');
const email = `media-${Date.now().toString(36)}@test.local`;
const password = `pw-${Math.random().toString(36).slice(2, 12)}`;

beforeAll(async () => {
  h = await startWebHarness();
  files = await makeMediaFiles(h.browser);
  main = await openPage(h.browser);
  const { page } = main;
  await page.goto(h.web.url);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Connect WhatsApp' }).click();
  const qr = page.locator('canvas[data-qr-value]');
  await qr.waitFor({ timeout: 30_000 });
  let decoded: string | null = null;
  for (let attempt = 0; attempt < 5 && (decoded === null || decoded !== await qr.getAttribute('data-qr-value')); attempt++) {
    decoded = await decodeQrScreenshot(page, qr);
  }
  expect(decoded).toContain('2@');
  await scanLikeAUser(h.sim, () => qr.getAttribute('data-qr-value'), { phone: accountPhone, pushName: 'Media Tester' });
  await page.locator(`[data-testid="connected-phone"][data-phone="${accountPhone}"]`).waitFor({ timeout: 30_000 });
  const [linked] = await h.stack.sql<{ id: string; user_id: string }[]>`
    select id, user_id from whatsapp_sessions where phone_number = ${accountPhone} and status = 'connected'`;
  session = linked!;
}, 240_000);

afterEach(() => {
  expect(main.errors.splice(0), 'browser console errors').toEqual([]);
});

afterAll(async () => {
  await main?.context.close().catch(() => {});
  await h?.stop();
});

/** A waveform as WhatsApp sends one (64 bars of 0-100): rising, then falling. */
const RAMP = Buffer.from(Array.from({ length: 64 }, (_, i) => (i < 32 ? i * 3 : (63 - i) * 3)));

/** The waveform is drawn by the browser: one bar per value, the loudest the tallest, silence the shortest. */
async function expectDrawn(waveform: ReturnType<WatchedPage['page']['locator']>, bars: Buffer) {
  await waveform.waitFor({ timeout: 30_000 });
  expect(await waveform.getAttribute('data-bars')).toBe(Array.from(bars).join(','));
  const heights = await waveform.locator('rect').evaluateAll((rects) => rects.map((rect) => rect.getBoundingClientRect().height));
  expect(heights).toHaveLength(bars.length);
  const loudest = bars.indexOf(Math.max(...bars));
  expect(Math.max(...heights)).toBe(heights[loudest]);
  expect(heights[loudest]!).toBeGreaterThan(heights[0]! * 5);
}

let inboundCount = 0;
/** An inbound media message as the connector stores it: the object first, then the row (Realtime shows it). */
async function receive(media: { kind: string; state?: string; ext: string; mime: string; bytes?: Buffer; caption?: string; fileName?: string; size?: number; duration?: number; width?: number; height?: number; thumbnail?: Buffer; waveform?: Buffer }) {
  const waId = `MEDIA${Date.now()}${inboundCount++}`;
  const path = `${session.user_id}/${session.id}/${waId}.${media.ext}`;
  const state = media.state ?? 'stored';
  if (state === 'stored') {
    const { error } = await h.stack.serviceClient().storage.from(BUCKET).upload(path, media.bytes!, { contentType: media.mime });
    if (error) throw error;
  }
  await h.stack.sql`
    insert into inbound_messages ${h.stack.sql({
      session_id: session.id, user_id: session.user_id, wa_message_id: waId, chat_jid: `${contactPhone.slice(1)}@s.whatsapp.net`,
      sender_phone: contactPhone, push_name: 'Carla Contact', message_type: `${media.kind === 'voice' ? 'audio' : media.kind}Message`,
      text: media.caption ?? null, wa_timestamp: new Date(), media_kind: media.kind, media_state: state,
      media_path: state === 'stored' ? path : null, media_stored_at: state === 'stored' ? new Date() : null,
      media_mime_type: media.mime, media_size_bytes: media.size ?? media.bytes?.length ?? null, media_file_name: media.fileName ?? null,
      media_duration_seconds: media.duration ?? null, media_width: media.width ?? null, media_height: media.height ?? null,
      media_thumbnail: media.thumbnail ?? null, media_waveform: media.waveform ?? null,
      // 'pending' = a download in progress: claimed by a connector. Unclaimed, this harness's connector
      // (MEDIA=disabled) would end it 'disabled' at its next sweep, as it does with every pending download.
      ...(state === 'pending' ? { media_claimed_by: 'web-media-test', media_claim_expires_at: new Date(Date.now() + 600_000) } : {}),
    })}`;
  return { waId, path, item: main.page.locator('li[data-direction="in"]', { has: main.page.locator(`[data-testid="media"][data-kind="${media.kind}"]`) }) };
}

describe('inbound media in the inbox', () => {
  it('shows a photo through a signed URL of the private bucket, decoded by the browser', async () => {
    const { page } = main;
    const { path } = await receive({ kind: 'image', ext: 'jpg', mime: 'image/jpeg', bytes: files.jpeg, caption: 'Our shop front', ...files.jpegSize });
    const img = page.getByRole('img', { name: 'Photo from Carla Contact: Our shop front' });
    await img.waitFor({ timeout: 30_000 });
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(files.jpegSize.width);
    const src = await img.getAttribute('src');
    expect(src).toContain(`/storage/v1/object/sign/${BUCKET}/${path}?token=`);
    await expect(page.getByText('Our shop front', { exact: true }).count()).resolves.toBe(1);
  });

  it('plays a voice note, its waveform drawn from the row and filled in as it plays', async () => {
    const { page } = main;
    await receive({ kind: 'voice', ext: 'ogg', mime: 'audio/ogg', bytes: files.voiceNote, duration: files.voiceNoteSeconds, waveform: RAMP });
    const audio = page.getByLabel('Voice note from Carla Contact 0:02', { exact: true });
    await audio.waitFor({ timeout: 30_000 });
    const waveform = page.getByRole('img', { name: 'Waveform: Voice note from Carla Contact 0:02' });
    await expectDrawn(waveform, RAMP);
    await expect(waveform.getAttribute('data-played')).resolves.toBe('0');
    await audio.evaluate((el: HTMLAudioElement) => el.play());
    await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.currentTime), { timeout: 15_000 }).toBeGreaterThan(0.2);
    await expect.poll(async () => Number(await waveform.getAttribute('data-played')), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await audio.evaluate((el: HTMLAudioElement) => Math.round(el.duration))).toBe(files.voiceNoteSeconds);
    await audio.evaluate((el: HTMLAudioElement) => el.pause());
  });

  it('plays a video and downloads it and a document under their names, byte for byte', async () => {
    const { page } = main;
    await receive({ kind: 'video', ext: 'mp4', mime: 'video/mp4', bytes: files.mp4, duration: 1, width: 64, height: 48 });
    const pdf = mediaFixtures.pdf(4000);
    await receive({ kind: 'document', ext: 'pdf', mime: 'application/pdf', bytes: pdf, fileName: 'Quote 2026.pdf' });
    const video = page.getByLabel('Video from Carla Contact 0:01');
    await video.waitFor({ timeout: 30_000 });
    await expect.poll(() => video.evaluate((el: HTMLVideoElement) => el.readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(await video.evaluate((el: HTMLVideoElement) => el.videoWidth)).toBe(64);

    for (const [name, bytes] of [['Quote 2026.pdf', pdf], [`${(await lastInboundWaId('video'))}.mp4`, files.mp4]] as const) {
      const link = page.getByRole('link', { name: new RegExp(`^Download ${name.replace('.', '\\.')}`) });
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      expect(download.suggestedFilename()).toBe(name);
      expect(await readFile((await download.path())!)).toEqual(bytes);
    }
    await screenshot(page, 'media-01-inbound');
    expect(await findAccessibilityViolations(page)).toEqual([]);
  });

  it('says why a file is not there: still downloading, too large for the cap, not kept by this server', async () => {
    const { page } = main;
    const downloading = await receive({ kind: 'video', state: 'pending', ext: 'mp4', mime: 'video/mp4', size: files.mp4.length, duration: 1 });
    await receive({ kind: 'document', state: 'too_large', ext: 'pdf', mime: 'application/pdf', size: 250_000_000, fileName: 'Catalog.pdf' });
    await page.locator('[data-testid="media"][data-state="pending"]', { hasText: 'Downloading the file…' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="media"][data-state="too_large"]', { hasText: 'Catalog.pdf' })
      .filter({ hasText: 'Not kept: the file (250 MB) is larger than your media limit.' }).waitFor({ timeout: 30_000 });
    await receive({ kind: 'voice', state: 'disabled', ext: 'ogg', mime: 'audio/ogg', size: 9_000, duration: 4, waveform: RAMP });
    await page.locator('[data-testid="media"][data-state="disabled"]', { hasText: 'Not downloaded: this server does not keep media files.' })
      .waitFor({ timeout: 30_000 });
    // the shape still shows, from the row: WhatsApp sent it with the message
    await expectDrawn(page.getByRole('img', { name: 'Waveform: Voice note from Carla Contact 0:04' }), RAMP);

    // The download finishes: the row is updated in place and the open page shows the video, no reload.
    const { error } = await h.stack.serviceClient().storage.from(BUCKET).upload(downloading.path, files.mp4, { contentType: 'video/mp4' });
    if (error) throw error;
    await h.stack.sql`
      update inbound_messages set media_state = 'stored', media_path = ${downloading.path}, media_stored_at = now(),
        media_claimed_by = null, media_claim_expires_at = null
       where session_id = ${session.id} and wa_message_id = ${downloading.waId}`;
    await page.locator('[data-testid="media"][data-state="pending"]').waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('shows the preview WhatsApp sent before the file is downloaded and when it never is, and as the video\'s poster', async () => {
    const { page } = main;
    const thumbnail = files.jpeg; // a real JPEG made by Chromium, as WhatsApp's jpegThumbnail is
    const downloading = await receive({ kind: 'image', state: 'pending', ext: 'jpg', mime: 'image/jpeg', size: 2_000_000, thumbnail });
    const preview = page.getByRole('img', { name: 'Preview: Photo from Carla Contact' });
    await preview.waitFor({ timeout: 30_000 });
    // decoded by the browser from the row itself (Realtime insert): no signed URL, no Storage request
    await expect.poll(() => preview.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(files.jpegSize.width);
    expect(await preview.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    await page.locator('[data-testid="media"][data-kind="image"][data-state="pending"]', { hasText: 'Downloading the file…' }).waitFor();

    await receive({ kind: 'video', state: 'too_large', ext: 'mp4', mime: 'video/mp4', size: 250_000_000, duration: 75, thumbnail });
    const kept = page.getByRole('img', { name: 'Preview: Video from Carla Contact 1:15' });
    await expect.poll(() => kept.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 30_000 }).toBe(files.jpegSize.width);

    await receive({ kind: 'video', ext: 'mp4', mime: 'video/mp4', bytes: files.mp4, duration: 2, width: 64, height: 48, thumbnail });
    const video = page.getByLabel('Video from Carla Contact 0:02');
    await video.waitFor({ timeout: 30_000 });
    expect(await video.getAttribute('poster')).toMatch(/^data:image\/jpeg;base64,/);

    // the download finishes: the full photo replaces the preview in place
    const { error } = await h.stack.serviceClient().storage.from(BUCKET).upload(downloading.path, files.jpeg, { contentType: 'image/jpeg' });
    if (error) throw error;
    await h.stack.sql`
      update inbound_messages set media_state = 'stored', media_path = ${downloading.path}, media_stored_at = now(),
        media_claimed_by = null, media_claim_expires_at = null
       where session_id = ${session.id} and wa_message_id = ${downloading.waId}`;
    await preview.waitFor({ state: 'detached', timeout: 30_000 });
    const full = page.getByRole('img', { name: 'Photo from Carla Contact', exact: true });
    await expect.poll(() => full.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 30_000 }).toBe(files.jpegSize.width);
    expect(await full.getAttribute('src')).toContain(`/storage/v1/object/sign/${BUCKET}/${downloading.path}?token=`);
    await screenshot(page, 'media-04-previews');
    expect(await findAccessibilityViolations(page)).toEqual([]);
  });

  it('another user can neither sign, download nor list these files', async () => {
    const other = await h.stack.signUp();
    const [image] = await h.stack.sql<{ media_path: string }[]>`
      select media_path from inbound_messages where session_id = ${session.id} and media_kind = 'image'`;
    const path = image!.media_path;
    const theirs = other.client.storage.from(BUCKET);
    expect((await theirs.createSignedUrl(path, 60)).error).toMatchObject({ statusCode: '404' });
    expect((await theirs.download(path)).error).toMatchObject({ statusCode: '404' });
    expect(await theirs.list(`${session.user_id}/${session.id}`)).toEqual({ data: [], error: null });
  });
});

async function lastInboundWaId(kind: string): Promise<string> {
  const [row] = await h.stack.sql<{ wa_message_id: string }[]>`
    select wa_message_id from inbound_messages where session_id = ${session.id} and media_kind = ${kind} and media_state = 'stored'
    order by id desc limit 1`;
  return row!.wa_message_id;
}

const objectCount = async () => (await h.stack.sql`select 1 from storage.objects where bucket_id = ${BUCKET}`).length;

describe('attaching a file in the send form', () => {
  const attach = (file: { name: string; mimeType: string; buffer: Buffer }) => main.page.getByLabel('Attach a file (optional)').setInputFiles(file);
  const send = () => main.page.getByRole('button', { name: 'Send', exact: true }).click();

  async function queued(where: { text?: string; content_type: string }) {
    await expect.poll(async () => (await h.stack.sql`
      select 1 from outbound_messages where session_id = ${session.id} and content_type = ${where.content_type}
        and text is not distinct from ${where.text ?? null}`).length, { timeout: 15_000 }).toBe(1);
    const [row] = await h.stack.sql<{ id: string; media_path: string; media_mime_type: string; media_size_bytes: string; media_file_name: string | null }[]>`
      select id, media_path, media_mime_type, media_size_bytes, media_file_name from outbound_messages
      where session_id = ${session.id} and content_type = ${where.content_type} and text is not distinct from ${where.text ?? null}`;
    return row!;
  }

  async function storedBytes(path: string): Promise<Buffer> {
    const { data, error } = await h.stack.serviceClient().storage.from(BUCKET).download(path);
    if (error) throw error;
    return Buffer.from(await data.arrayBuffer());
  }

  it('sends a photo with a caption: uploaded to the user’s session folder, queued, and shown in the list', async () => {
    const { page } = main;
    const caption = `New catalog photo ${Date.now()}`;
    await page.getByLabel('To (phone number)').fill(contactPhone);
    await attach({ name: 'catalog photo.jpg', mimeType: 'image/jpeg', buffer: files.jpeg });
    await page.getByTestId('attached').filter({ hasText: 'catalog photo.jpg' }).filter({ hasText: 'Photo' }).waitFor();
    await page.getByRole('textbox', { name: 'Message' }).fill(caption);
    await send();
    await page.getByText('Message queued.').waitFor({ timeout: 30_000 });
    const row = await queued({ content_type: 'image', text: caption });
    expect(row.media_path).toMatch(new RegExp(`^${session.user_id}/${session.id}/[0-9a-f-]{36}\\.jpg$`));
    expect({ mime: row.media_mime_type, size: Number(row.media_size_bytes) }).toEqual({ mime: 'image/jpeg', size: files.jpeg.length });
    expect(await storedBytes(row.media_path)).toEqual(files.jpeg);
    const shown = page.locator(`li[data-direction="out"][data-message-id="${row.id}"] img`);
    await expect.poll(() => shown.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 30_000 }).toBe(files.jpegSize.width);
    await expect(page.getByTestId('attached').count()).resolves.toBe(0);
    await screenshot(page, 'media-02-photo-sent');
    expect(await findAccessibilityViolations(page)).toEqual([]);
  });

  it('sends a video with a preview of its first frame drawn by the browser (the connector has no ffmpeg)', async () => {
    const { page } = main;
    await attach({ name: 'tour.mp4', mimeType: 'video/mp4', buffer: files.mp4 });
    await page.getByRole('textbox', { name: 'Message' }).fill('Video tour');
    await send();
    await page.getByText('Message queued.').waitFor({ timeout: 30_000 });
    const row = await queued({ content_type: 'video', text: 'Video tour' });
    const [thumb] = await h.stack.sql<{ media_thumbnail: Buffer }[]>`
      select media_thumbnail from outbound_messages where id = ${row.id}`;
    const jpeg = thumb!.media_thumbnail;
    expect(jpeg.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    expect(jpeg.subarray(-2).toString('hex')).toBe('ffd9');
    // the JPEG's frame header: 96 px wide, the video's 64x48 aspect
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    expect({ height: jpeg.readUInt16BE(sof + 5), width: jpeg.readUInt16BE(sof + 7) }).toEqual({ width: 96, height: 72 });
    expect(await storedBytes(row.media_path)).toEqual(files.mp4);
  });

  it('sends Ogg audio as a voice note when asked, and a document under its file name', async () => {
    const { page } = main;
    await attach({ name: 'memo.ogg', mimeType: 'audio/ogg', buffer: files.voiceNote });
    await page.getByLabel('Send as a voice note').check();
    await send();
    await page.getByText('Message queued.').waitFor({ timeout: 30_000 });
    const voice = await queued({ content_type: 'voice' });
    expect(voice.media_path).toMatch(/\.ogg$/);
    expect(await storedBytes(voice.media_path)).toEqual(files.voiceNote);
    // the waveform the connector sent it with (recorded by record_outbound_content: connector-media-outbound tests
    // that path; this harness's connector has MEDIA=disabled) reaches the open page by Realtime and is drawn
    await h.stack.sql`update outbound_messages set media_waveform = ${RAMP} where id = ${voice.id}`;
    await expectDrawn(page.locator(`li[data-direction="out"][data-message-id="${voice.id}"]`).getByRole('img', { name: /^Waveform: Voice note/ }), RAMP);

    const pdf = mediaFixtures.pdf(3000);
    await attach({ name: 'Price list.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByRole('textbox', { name: 'Message' }).fill('Prices for December');
    await send();
    await page.getByText('Message queued.').waitFor({ timeout: 30_000 });
    const doc = await queued({ content_type: 'document', text: 'Prices for December' });
    expect(doc.media_file_name).toBe('Price list.pdf');
    expect(await storedBytes(doc.media_path)).toEqual(pdf);
    await page.locator(`li[data-direction="out"][data-message-id="${doc.id}"]`).getByRole('link', { name: /^Download Price list\.pdf/ }).waitFor();
  });

  it('refuses a type WhatsApp does not take and a caption on a voice note, uploading nothing', async () => {
    const { page } = main;
    const before = await objectCount();
    await attach({ name: 'setup.exe', mimeType: 'application/x-msdownload', buffer: mediaFixtures.exe() });
    await page.getByText('WhatsApp does not accept this type of file.').waitFor();
    await expect(page.getByRole('button', { name: 'Send', exact: true }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Remove file' }).click();

    await attach({ name: 'memo.ogg', mimeType: 'audio/ogg', buffer: files.voiceNote });
    await page.getByRole('textbox', { name: 'Message' }).fill('listen to this');
    await send();
    await page.getByText('Audio, voice notes and stickers cannot have a caption.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Remove file' }).click();
    expect(await objectCount()).toBe(before);
    await screenshot(page, 'media-03-refused');
  });
});
