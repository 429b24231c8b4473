// A connector started with MEDIA=disabled (no Storage) keeps no files, and says so on every media row instead
// of leaving it pending forever: media that arrive get media_state 'disabled' with their metadata and the
// reason; media still pending from before it was turned off end 'disabled' at the next sweep; an outbound
// media row fails with media_disabled. Real Baileys against test/sim, real Postgres; no Storage at all.
import { describe, expect, it } from 'vitest';
import { mediaFixtures } from '../support/media-fixtures.ts';
import { useConnectorFixture, randomPhone, waitFor } from './connector-support.ts';

const fx = useConnectorFixture({
  simulator: { receiptDelayMs: 10 },
  linkedSessions: 1,
  env: { MEDIA: 'disabled' },
  // a download still pending from when this session's connector kept media
  before: ({ db, sessions: [session] }) => db.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type,
      wa_timestamp, media_kind, media_state, media_next_attempt_at, media_source, media_mime_type)
    values (${session!.sessionId}, ${session!.userId}, 'BEFORE1', '15550001111@s.whatsapp.net', 'imageMessage', now(),
      'image', 'pending', now(), '{}', 'image/jpeg')`,
});

const row = (waId: string) => waitFor(async () => {
  const [r] = await fx.db.sql`select * from inbound_messages where session_id = ${fx.session.sessionId} and wa_message_id = ${waId}`;
  return r && r.media_state !== 'pending' ? r : null;
}, `message ${waId} to leave media_state pending`);

describe('connector: MEDIA=disabled', () => {
  it('media that arrive are recorded as disabled with their metadata and the reason, never pending', async () => {
    const contact = fx.sim.contact(await randomPhone());
    const doc = await contact.sendMedia(fx.session.phone, {
      kind: 'document', data: mediaFixtures.pdf(3000), mimetype: 'application/pdf', fileName: 'terms.pdf', caption: 'read this',
    });
    const r = await row(doc.id);
    expect(r).toMatchObject({
      media_state: 'disabled', media_kind: 'document', media_mime_type: 'application/pdf', media_size_bytes: '3000',
      media_file_name: 'terms.pdf', text: 'read this', media_path: null, media_next_attempt_at: null, media_attempts: 0,
    });
    expect(r.media_error).toMatch(/MEDIA=disabled/);
    expect(r.media_source).toMatchObject({ field: 'documentMessage' });
    expect(fx.sim.mediaStats().downloads).toBe(0);
  });

  it('a download left pending from before media was turned off ends disabled at the next sweep', async () => {
    await fx.connector.sweep();
    const r = await row('BEFORE1');
    expect(r).toMatchObject({ media_state: 'disabled', media_path: null, media_claimed_by: null });
    expect(r.media_error).toMatch(/MEDIA=disabled/);
  });

  it('an outbound media row fails with media_disabled, nothing sent', async () => {
    const path = `${fx.session.userId}/outbox/photo.png`;
    await fx.db.sql`insert into storage.objects (bucket_id, name, owner_id, metadata)
      values ('whatsapp-media', ${path}, ${fx.session.userId}, ${fx.db.sql.json({ size: 68, mimetype: 'image/png' })})`;
    const contact = fx.sim.contact(await randomPhone());
    const [queued] = await fx.db.sql`insert into outbound_messages (session_id, user_id, recipient, content_type, media_path)
      values (${fx.session.sessionId}, ${fx.session.userId}, ${contact.phone}, 'image', ${path}) returning id, wa_message_id`;
    await fx.connector.sweep();
    const failed = await waitFor(async () => {
      const [r] = await fx.db.sql`select status, error_code from outbound_messages where id = ${queued!.id}`;
      return r?.status === 'failed' ? r : null;
    }, 'the media row to fail');
    expect(failed).toMatchObject({ error_code: 'media_disabled' });
    expect(contact.receivedCount(queued!.wa_message_id as string)).toBe(0);
  });
});
