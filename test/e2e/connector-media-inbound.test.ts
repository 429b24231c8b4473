// Inbound media end to end: contacts in the simulator send each media kind encrypted; the connector (a child
// process, so its Baileys load-time patches are active) downloads it through real Baileys from the
// simulator's HTTPS media host, checks it and stores it in the local stack's Storage (/storage/v1) at
// <user_id>/<session_id>/<wa_message_id>.<ext>. The owner reads it through RLS and signed URLs, nobody else.
// An expired URL is recovered by the phone's re-upload (stock rc14 cannot: test/sim/media.test.ts), a file
// over the user's cap ends too_large with its metadata, a file the phone no longer has ends expired.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';
import { mediaFixtures } from '../support/media-fixtures.ts';
import {
  connectorEnv, createLinkedSession, randomPhone, startSimulator, waitFor, type Simulator, type TestDatabase,
} from './connector-support.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let stack: TestStack;
let db: TestDatabase;
let sim: Simulator;
let owner: SignedUpUser;
let stranger: SignedUpUser;
let session: Awaited<ReturnType<typeof createLinkedSession>>;
let child: ChildProcess | null = null;
const STORAGE_UPLOAD_LIMIT = 1024 * 1024;

function startConnector(): ChildProcess {
  const env = connectorEnv(db, sim, {
    MEDIA: 'enabled', SUPABASE_URL: stack.url, SUPABASE_SECRET_KEY: stack.secretKey,
    WA_SIM_MEDIA_CA: Buffer.from(sim.mediaCaPem).toString('base64'), MEDIA_RETRY_BASE_MS: '200',
    LOG_LEVEL: process.env.CONNECTOR_TEST_LOG ?? 'warn',
  });
  const proc = spawn(process.execPath, ['--import', 'tsx', 'connector/main.ts'], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  child = proc;
  return proc;
}

async function stopConnector(): Promise<void> {
  const proc = child;
  child = null;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); });
}

const connected = () => waitFor(async () => {
  const [row] = await db.sql`select 1 from whatsapp_sessions where id = ${session.sessionId} and status = 'connected' and lease_owner is not null`;
  return row;
}, 'the connector to hold the session');

/** 64 bars of 0-100, as a phone draws a voice note */
const VOICE_WAVEFORM = Buffer.from(Array.from({ length: 64 }, (_, i) => Math.round(50 + 50 * Math.sin(i / 5))));

const mediaRow = (waId: string, state: string) => waitFor(async () => {
  const [row] = await db.sql`select * from inbound_messages where session_id = ${session.sessionId} and wa_message_id = ${waId}`;
  return row?.media_state === state ? row : null;
}, `message ${waId} to reach media_state ${state}`, 60_000);

beforeAll(async () => {
  // Storage's upload limit (config.toml's [storage] file_size_limit) lowered below the user's cap for the last case
  stack = await startTestStack({ storageFileSizeLimit: STORAGE_UPLOAD_LIMIT });
  db = { url: stack.databaseUrl, sql: stack.sql, drop: async () => {} };
  sim = await startSimulator({ receiptDelayMs: 10 });
  owner = await stack.signUp();
  stranger = await stack.signUp();
  session = await createLinkedSession(db, sim, undefined, undefined, owner.user.id);
  startConnector();
  await connected();
}, 120_000);
afterAll(async () => {
  await stopConnector();
  await sim?.stop();
  await stack?.stop();
});

describe('connector: inbound media', () => {
  it('stores each kind as the contact sent it, at <user>/<session>/<id>.<ext>, with its metadata; only the owner can read it', async () => {
    const contact = sim.contact(await randomPhone(), { name: 'Lead' });
    const inputs = [
      { kind: 'image', data: mediaFixtures.jpeg(), mimetype: 'image/jpeg', caption: 'the house', width: 1, height: 1, ext: 'jpg' },
      { kind: 'video', data: mediaFixtures.mp4(400_000), mimetype: 'video/mp4', caption: 'walkthrough', seconds: 7, ext: 'mp4' },
      { kind: 'audio', data: mediaFixtures.mp3(), mimetype: 'audio/mpeg', seconds: 3, ext: 'mp3' },
      { kind: 'voice', data: mediaFixtures.ogg(), mimetype: 'audio/ogg; codecs=opus', seconds: 4, waveform: VOICE_WAVEFORM, ext: 'ogg' },
      { kind: 'document', data: mediaFixtures.pdf(50_000), mimetype: 'application/pdf', fileName: 'deed.pdf', caption: 'signed', ext: 'pdf' },
      { kind: 'sticker', data: mediaFixtures.webp(), mimetype: 'image/webp', ext: 'webp' },
    ] as const;
    const sent: { id: string; input: (typeof inputs)[number] }[] = [];
    for (const input of inputs) sent.push({ id: (await contact.sendMedia(session.phone, input)).id, input });

    for (const { id, input } of sent) {
      const row = await mediaRow(id, 'stored');
      expect(row.media_path).toBe(`${owner.user.id}/${session.sessionId}/${id}.${input.ext}`);
      expect(row).toMatchObject({ media_kind: input.kind, media_size_bytes: String(input.data.length), media_error: null });
      expect(row.media_mime_type.split(';')[0]).toBe(input.mimetype.split(';')[0]);
      if ('seconds' in input) expect(row.media_duration_seconds).toBe(input.seconds);
      if ('width' in input) expect([row.media_width, row.media_height]).toEqual([input.width, input.height]);
      if ('caption' in input) expect(row.text).toBe(input.caption);
      expect(row.media_file_name).toBe('fileName' in input ? input.fileName : null);
      // a voice note keeps the waveform the contact's phone drew (the inbox shows it); nothing else has one
      expect(row.media_waveform === null ? null : [...(row.media_waveform as Uint8Array)]).toEqual('waveform' in input ? [...input.waveform] : null);

      // the owner downloads it through RLS and through a signed URL; the bytes are what the contact sent
      const mine = await owner.client.storage.from('whatsapp-media').download(row.media_path);
      expect(mine.error).toBeNull();
      expect(Buffer.from(await mine.data!.arrayBuffer()).equals(input.data)).toBe(true);
      const signed = await owner.client.storage.from('whatsapp-media').createSignedUrl(row.media_path, 60);
      expect(signed.error).toBeNull();
      expect(Buffer.from(await (await fetch(signed.data!.signedUrl)).arrayBuffer()).equals(input.data)).toBe(true);
    }

    // another user can neither list, read, sign nor overwrite the owner's files
    const first = (await db.sql`select media_path from inbound_messages where wa_message_id = ${sent[0]!.id}`)[0]!.media_path as string;
    const theirs = stranger.client.storage.from('whatsapp-media');
    expect((await theirs.download(first)).data).toBeNull();
    expect((await theirs.createSignedUrl(first, 60)).data).toBeNull();
    const listed = await theirs.list(`${owner.user.id}/${session.sessionId}`);
    expect(listed.data ?? []).toEqual([]);
    expect((await theirs.upload(first, Buffer.from('planted'), { upsert: true, contentType: 'image/jpeg' })).error).not.toBeNull();
    const again = await owner.client.storage.from('whatsapp-media').download(first);
    expect(Buffer.from(await again.data!.arrayBuffer()).equals(inputs[0].data)).toBe(true);
  }, 120_000);

  it('an expired URL is recovered by the phone re-uploading; a file the phone no longer has ends expired; over the cap ends too_large', async () => {
    await stopConnector();
    const contact = sim.contact(await randomPhone());
    const photo = mediaFixtures.png();
    // sent while the connector is away (WhatsApp queues them); their URLs expire before it comes back
    const expired = await contact.sendMedia(session.phone, { kind: 'image', data: photo, mimetype: 'image/png' });
    sim.expireMedia(expired.directPath);
    const gone = await contact.sendMedia(session.phone, { kind: 'document', data: mediaFixtures.pdf(), mimetype: 'application/pdf', fileName: 'old.pdf' });
    sim.dropMedia(gone.directPath);
    sim.phone(session.phone).forgetMedia(gone.id);
    // the user's own cap (settings) is 100 kB: a 300 kB video keeps its metadata and is not downloaded
    await db.sql`insert into configuracion_mensajeria_usuario (user_id, platform, name, config)
      values (${owner.user.id}, 'whatsapp', 'default', ${db.sql.json({ media_max_bytes: 100_000 })})
      on conflict (user_id, platform) do update set config = excluded.config`;
    const big = await contact.sendMedia(session.phone, { kind: 'video', data: mediaFixtures.mp4(300_000), mimetype: 'video/mp4', seconds: 30 });
    const before = sim.stats().mediaReuploads;
    startConnector();

    const recovered = await mediaRow(expired.id, 'stored');
    const file = await owner.client.storage.from('whatsapp-media').download(recovered.media_path);
    expect(Buffer.from(await file.data!.arrayBuffer()).equals(photo)).toBe(true);
    expect(sim.stats().mediaReuploads).toBeGreaterThan(before);

    const lost = await mediaRow(gone.id, 'expired');
    expect(lost.media_error).toMatch(/no longer has the file/);
    expect(lost).toMatchObject({ media_path: null, media_file_name: 'old.pdf', media_kind: 'document' });

    const capped = await mediaRow(big.id, 'too_large');
    expect(capped).toMatchObject({ media_path: null, media_kind: 'video', media_size_bytes: '300000', media_duration_seconds: 30 });
    expect(capped.media_error).toMatch(/cap is 100000/);
    expect(sim.mediaStats().downloads).toBeGreaterThan(0);
  }, 120_000);

  it('a file within the user\'s cap that Storage refuses as over its upload limit ends too_large at once, not retried', async () => {
    await stopConnector();
    await db.sql`update configuracion_mensajeria_usuario set config = ${db.sql.json({ media_max_bytes: 10_000_000 })}
      where user_id = ${owner.user.id} and platform = 'whatsapp'`;
    const contact = sim.contact(await randomPhone());
    const catalog = await contact.sendMedia(session.phone, {
      kind: 'document', data: mediaFixtures.pdf(STORAGE_UPLOAD_LIMIT + 200_000), mimetype: 'application/pdf', fileName: 'catalog.pdf',
    });
    startConnector();
    const refused = await mediaRow(catalog.id, 'too_large');
    expect(refused).toMatchObject({ media_path: null, media_attempts: 1, media_file_name: 'catalog.pdf' });
    expect(refused.media_error).toMatch(/Storage refused the file as larger than its upload limit/);
    const listed = await owner.client.storage.from('whatsapp-media').list(`${owner.user.id}/${session.sessionId}`, { search: catalog.id });
    expect(listed.data).toEqual([]);
  }, 120_000);
  it('a download the CDN fails is retried with back-off and stored, without holding back the text behind it; a damaged file is never stored', async () => {
    await stopConnector();
    const contact = sim.contact(await randomPhone());
    const photo = mediaFixtures.jpeg();
    const flaky = await contact.sendMedia(session.phone, { kind: 'image', data: photo, mimetype: 'image/jpeg' });
    sim.failMediaDownloads(flaky.directPath, 4, 503); // attempts 1-4 fail (back-off 200, 400, 800, 1600 ms), the 5th gets it
    const damaged = await contact.sendMedia(session.phone, { kind: 'document', data: mediaFixtures.pdf(), mimetype: 'application/pdf', fileName: 'contract.pdf' });
    sim.corruptMedia(damaged.directPath);
    const text = await contact.sendText(session.phone, 'did you get the photo?');
    const refusedBefore = sim.mediaStats().downloadsRefused;
    startConnector();

    await waitFor(async () => (await db.sql`select 1 from inbound_messages where wa_message_id = ${text}`)[0], 'the text to be stored');
    const [meanwhile] = await db.sql`select media_state from inbound_messages where wa_message_id = ${flaky.id}`;
    expect(meanwhile!.media_state).toBe('pending');

    const stored = await mediaRow(flaky.id, 'stored');
    expect(stored.media_attempts).toBe(5);
    const file = await owner.client.storage.from('whatsapp-media').download(stored.media_path);
    expect(Buffer.from(await file.data!.arrayBuffer()).equals(photo)).toBe(true);
    expect(sim.mediaStats().downloadsRefused - refusedBefore).toBe(4);

    const broken = await mediaRow(damaged.id, 'failed');
    expect(broken).toMatchObject({ media_path: null, media_attempts: 6, media_file_name: 'contract.pdf' });
    expect(broken.media_error).toMatch(/gave up after 6 attempts: integrity check failed: the file does not match the message's fileSha256/);
    const listed = await owner.client.storage.from('whatsapp-media').list(`${owner.user.id}/${session.sessionId}`, { search: damaged.id });
    expect(listed.data).toEqual([]);
  }, 120_000);

  it('keeps the JPEG preview WhatsApp sends with a photo, video or document, also when the file is not downloaded; the owner reads it, nobody else', async () => {
    await db.sql`insert into configuracion_mensajeria_usuario (user_id, platform, name, config)
      values (${owner.user.id}, 'whatsapp', 'default', ${db.sql.json({ media_max_bytes: 100_000 })})
      on conflict (user_id, platform) do update set config = excluded.config`;
    const contact = sim.contact(await randomPhone());
    const preview = mediaFixtures.jpeg();
    const photo = await contact.sendMedia(session.phone, { kind: 'image', data: mediaFixtures.png(), mimetype: 'image/png', jpegThumbnail: preview });
    const big = await contact.sendMedia(session.phone, { kind: 'video', data: mediaFixtures.mp4(300_000), mimetype: 'video/mp4', seconds: 9, jpegThumbnail: preview });
    const doc = await contact.sendMedia(session.phone, { kind: 'document', data: mediaFixtures.pdf(), mimetype: 'application/pdf', fileName: 'plan.pdf', jpegThumbnail: preview });
    // not a JPEG: left in raw, never shown as one
    const odd = await contact.sendMedia(session.phone, { kind: 'image', data: mediaFixtures.jpeg(), mimetype: 'image/jpeg', jpegThumbnail: mediaFixtures.png() });

    for (const [id, state] of [[photo.id, 'stored'], [big.id, 'too_large'], [doc.id, 'stored']] as const) {
      const row = await mediaRow(id, state);
      expect(Buffer.from(row.media_thumbnail as Uint8Array).equals(preview)).toBe(true);
    }
    expect((await mediaRow(odd.id, 'stored')).media_thumbnail).toBeNull();

    // through the Data API as the owner (bytea comes as \x hex), and nobody else
    const mine = await owner.client.from('inbound_messages').select('media_thumbnail').eq('wa_message_id', big.id).single();
    expect(mine.error).toBeNull();
    expect(Buffer.from((mine.data!.media_thumbnail as string).slice(2), 'hex').equals(preview)).toBe(true);
    const theirs = await stranger.client.from('inbound_messages').select('media_thumbnail').eq('wa_message_id', big.id);
    expect(theirs.data).toEqual([]);
  }, 120_000);
});
