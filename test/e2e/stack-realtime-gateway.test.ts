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
});
