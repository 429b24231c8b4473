import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, createTestDatabase, createUser, type TestDatabase } from '../support/postgres.ts';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

describe('the Postgres fixture', () => {
  it('gives each file a database with the migrations and the seed applied', async () => {
    const tables = await db.sql<{ tablename: string }[]>`
      select tablename from pg_tables where schemaname = 'public' order by tablename`;
    expect(tables.map((t) => t.tablename)).toEqual([
      'api_rate_limits', 'configuracion_mensajeria_usuario', 'connector_heartbeats', 'inbound_messages', 'message_reactions', 'messaging_webhook_secrets',
      'outbound_messages', 'outbound_sent_content', 'session_commands', 'webhook_deliveries', 'webhook_events', 'whatsapp_auth_state', 'whatsapp_contacts',
      'whatsapp_media_rules', 'whatsapp_sessions', 'write_quotas',
    ]);
    const [demo] = await db.sql`select email from auth.users where email = 'demo@example.com'`;
    expect(demo).toBeDefined();
  });

  it('runs queries as a signed-in user with RLS deciding', async () => {
    const alice = await createUser(db.sql);
    const session = await asUser(db.sql, alice, async (tx) => (await tx`select * from request_whatsapp_link()`)[0]);
    expect(session?.user_id).toBe(alice);
    const bob = await createUser(db.sql);
    const seen = await asUser(db.sql, bob, (tx) => tx`select id from whatsapp_sessions where id = ${session!.id}`);
    expect(seen).toHaveLength(0);
  });
});
