// Realtime through the gateway: supabase-js connects to /realtime/v1/websocket on the stack's one port
// (API key required, as Kong does) and receives postgres_changes under RLS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe('realtime through the gateway', () => {
  it.runIf(!process.env.SUPABASE_URL)('refuses a WebSocket upgrade without an API key', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/realtime/v1/websocket?vsn=2.0.0`);
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => reject(new Error('upgrade was accepted')));
      socket.once('error', () => {});
    });
    expect(status).toBe(401);
  });

  it('delivers a user’s own row changes (postgres_changes) to their supabase-js channel', async () => {
    const { client, user } = await stack.signUp();
    const received = new Promise<Record<string, unknown>>((resolve) => {
      const channel = client
        .channel(`sessions-${user.id}`)
        .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'whatsapp_sessions', filter: `user_id=eq.${user.id}` }, (payload) => resolve(payload.new))
        .subscribe(async (status) => {
          if (status !== 'SUBSCRIBED') return;
          const { error } = await client.rpc('request_whatsapp_link');
          if (error) throw error;
        });
      void channel;
    });
    const row = await received;
    expect(row).toMatchObject({ user_id: user.id, status: 'new' });
  });

  it('delivers UPDATEs of the user’s session row filtered by id (what the web app watches)', async () => {
    const { client } = await stack.signUp();
    const { data: session, error } = await client.rpc('request_whatsapp_link');
    if (error) throw error;
    const id = (session as { id: string }).id;
    const received = new Promise<Record<string, unknown>>((resolve) => {
      client
        .channel(`session-${id}`)
        .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'whatsapp_sessions', filter: `id=eq.${id}` }, (payload) => resolve(payload.new))
        .subscribe(async (status) => {
          if (status !== 'SUBSCRIBED') return;
          await stack.sql`update whatsapp_sessions set status = 'connecting' where id = ${id}`;
        });
    });
    expect(await received).toMatchObject({ id, status: 'connecting' });
  });

  it.runIf(!process.env.SUPABASE_URL)('an API key sent as access_token leaves the channel its user claims (Realtime ignores sb_ tokens)', async () => {
    const { client } = await stack.signUp();
    const { data: session, error } = await client.rpc('request_whatsapp_link');
    if (error) throw error;
    const id = (session as { id: string }).id;
    const updates: Record<string, unknown>[] = [];
    let subscribedToPostgres!: () => void;
    const ready = new Promise<void>((resolve) => (subscribedToPostgres = resolve));
    const channel = client
      .channel(`session-key-${id}`, { config: { broadcast: { ack: true } } })
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'whatsapp_sessions', filter: `id=eq.${id}` }, (payload) => updates.push(payload.new))
      .on('system', {}, (payload: { message?: string }) => payload.message === 'Subscribed to PostgreSQL' && subscribedToPostgres());
    channel.subscribe();
    await ready;
    await client.realtime.setAuth(stack.publishableKey);
    // Frames are handled in order: once this ack is back, the access_token before it has been handled.
    expect(await channel.send({ type: 'broadcast', event: 'sync', payload: {} })).toBe('ok');
    await stack.sql`update whatsapp_sessions set status = 'connecting' where id = ${id}`;
    await expect.poll(() => updates.length, { timeout: 10_000 }).toBe(1);
    expect(updates[0]).toMatchObject({ id, status: 'connecting' });
  });
});
