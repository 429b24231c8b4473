// Outbound media keeps the guarantees of text through a crash (issue 14.3): the connector (a child process, media
// from the local stack's Storage) is killed with SIGKILL while a session's media rows are going out (paced 300 ms
// apart); a second connector takes the session over and sends the rest. Every row reaches the contact under its own
// WhatsApp id with the bytes the user uploaded; none fails, none is lost, and only the row in flight at the kill may
// arrive twice (same id, as for text: test/e2e/connector-crash.test.ts; WhatsApp's phones show an id once).
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
let session: Awaited<ReturnType<typeof createLinkedSession>>;
const children: ChildProcess[] = [];

function spawnConnector(id: string): ChildProcess {
  const env = connectorEnv(db, sim, {
    CONNECTOR_ID: id, MEDIA: 'enabled', SUPABASE_URL: stack.url, SUPABASE_SECRET_KEY: stack.secretKey,
    WA_SIM_MEDIA_CA: Buffer.from(sim.mediaCaPem).toString('base64'), LEASE_TTL_MS: '4000', OUTBOUND_CLAIM_TTL_MS: '3000',
    LOG_LEVEL: process.env.CONNECTOR_TEST_LOG ?? 'warn',
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'connector/main.ts'], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  stack = await startTestStack();
  db = { url: stack.databaseUrl, sql: stack.sql, drop: async () => {} };
  sim = await startSimulator({ receiptDelayMs: 10 });
  owner = await stack.signUp();
  session = await createLinkedSession(db, sim, undefined, undefined, owner.user.id);
}, 120_000);
afterAll(async () => {
  await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null)
    .map((c) => new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGKILL'); })));
  await sim?.stop();
  await stack?.stop();
});

describe('connector: outbound media through a crash', () => {
  it('SIGKILL while media rows go out, then a take-over: every row arrives with its bytes, none fails, only the one in flight may repeat', async () => {
    await db.sql`insert into configuracion_mensajeria_usuario (user_id, platform, name, config)
      values (${owner.user.id}, 'whatsapp', 'default', ${db.sql.json({ pacing: { min_interval_ms: 300, jitter_ms: 0 } })})`;
    const first = spawnConnector('media-crash-a');
    await waitFor(async () => (await db.sql`select 1 from whatsapp_sessions where id = ${session.sessionId}
      and status = 'connected' and lease_owner = 'media-crash-a'`)[0], 'the first connector to hold the session');

    const contact = sim.contact(await randomPhone());
    const files = Array.from({ length: 6 }, () => mediaFixtures.mp4(200_000)); // random filler: each file differs
    const rows: { id: string; waId: string; data: Buffer }[] = [];
    for (const [i, data] of files.entries()) {
      const path = `${owner.user.id}/outbox/clip-${i}.mp4`;
      expect((await owner.client.storage.from('whatsapp-media').upload(path, data, { contentType: 'video/mp4' })).error).toBeNull();
      const { data: row, error } = await owner.client.from('outbound_messages')
        .insert({ session_id: session.sessionId, recipient: contact.phone, content_type: 'video', media_path: path })
        .select('id, wa_message_id').single();
      expect(error).toBeNull();
      rows.push({ id: row!.id, waId: row!.wa_message_id, data });
    }
    const ids = rows.map((r) => r.id);
    await waitFor(async () => {
      const [n] = await db.sql`select count(*) filter (where status in ('sent', 'delivered', 'read'))::int as done
        from outbound_messages where id = any(${ids}::uuid[])`;
      return n!.done >= 2 && n!.done < rows.length;
    }, 'some rows sent, some not yet', 60_000);
    await new Promise((resolve) => { first.once('exit', resolve); first.kill('SIGKILL'); });
    const atKill = await db.sql`select status from outbound_messages where id = any(${ids}::uuid[])`;
    expect(atKill.some((r) => r.status === 'queued' || r.status === 'sending')).toBe(true);

    spawnConnector('media-crash-b');
    const final = await waitFor(async () => {
      const got = await db.sql`select id, status, error from outbound_messages where id = any(${ids}::uuid[])`;
      return got.every((r) => ['sent', 'delivered', 'read', 'failed'].includes(r.status as string)) ? got : null;
    }, 'every row to leave the queue after the take-over', 90_000);
    expect(final.filter((r) => r.status === 'failed')).toEqual([]);

    const received = await contact.waitUntil(() => {
      const got = rows.map((r) => contact.received().find((m) => m.id === r.waId));
      return got.every(Boolean) ? got : undefined;
    }, 'every media row at the contact', { timeoutMs: 60_000 });
    for (const [i, m] of received.entries()) {
      expect(m!.media?.error).toBeUndefined();
      expect(m!.media!.data.equals(rows[i]!.data)).toBe(true);
    }
    const repeated = rows.filter((r) => contact.receivedCount(r.waId) > 1);
    expect(repeated.length).toBeLessThanOrEqual(1);
    expect(sim.stats()).toMatchObject({ mediaErrors: 0 });
  }, 180_000);
});
