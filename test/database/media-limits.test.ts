// The media size limits agree: Storage's global upload limit (supabase/config.toml, which the local stack
// and `supabase start` apply), the whatsapp-media bucket's limit, the largest file WhatsApp takes
// (whatsapp_media_rules) and the connector's default per-user media cap (MEDIA_MAX_BYTES). When the upload
// limit was below the others (50 MiB against 100 MiB), a 60 MB document passed every check and was then
// refused by Storage on every download attempt.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../connector/config.ts';
import { readStorageFileSizeLimit } from '../../stack/storage/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const configToml = fileURLToPath(new URL('../../supabase/config.toml', import.meta.url));
let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

describe('media size limits', () => {
  it('config.toml upload limit = whatsapp-media bucket limit = largest WhatsApp media = connector default cap', async () => {
    const uploadLimit = await readStorageFileSizeLimit(configToml);
    const [bucket] = await db.sql`select file_size_limit::bigint as n from storage.buckets where id = 'whatsapp-media'`;
    const [rules] = await db.sql`select max(max_bytes)::bigint as n from whatsapp_media_rules`;
    const connector = loadConfig({
      DATABASE_URL: 'postgres://u:p@localhost:5432/db', CONNECTOR_REALTIME: 'disabled', MEDIA: 'disabled',
      AUTH_STATE_ENCRYPTION: 'disabled',
    });
    const limits = {
      uploadLimit,
      bucket: Number(bucket!.n),
      largestWhatsAppMedia: Number(rules!.n),
      connectorDefaultCap: connector.settingsDefaults.mediaMaxBytes,
    };
    expect(limits).toEqual({
      uploadLimit: 100 * 1024 * 1024, bucket: 100 * 1024 * 1024, largestWhatsAppMedia: 100 * 1024 * 1024, connectorDefaultCap: 100 * 1024 * 1024,
    });
  });
});
