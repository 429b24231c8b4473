// Test helpers for stack/realtime: the realtime server on a plain Node http server (port 0), real
// supabase-js clients, user JWTs signed with the local secret, and an event collector that awaits events.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { LOCAL_ANON_KEY, LOCAL_JWT_SECRET } from '../keys.ts';
import { createRealtimeServer, type RealtimeServer, type RealtimeServerOptions } from './index.ts';

export interface RealtimeTestServer {
  url: string;
  realtime: RealtimeServer;
  close(): Promise<void>;
}

export async function startRealtimeTestServer(options: RealtimeServerOptions): Promise<RealtimeTestServer> {
  const realtime = await createRealtimeServer(options);
  const server: Server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname === '/realtime/v1/websocket') realtime.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    realtime,
    async close() {
      await realtime.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An access token like GoTrue's, for `userId`; `expiresIn` seconds from now (negative: already expired). */
export async function signUserToken(userId: string, expiresIn = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: userId, role: 'authenticated', aud: 'authenticated', session_id: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now - 60)
    .setExpirationTime(now + expiresIn)
    .sign(new TextEncoder().encode(LOCAL_JWT_SECRET));
}

/**
 * A supabase-js client for the test server. With a token it acts as that user: the token is set with
 * realtime.setAuth() before any join, so the very first phx_join carries it (an `accessToken` callback
 * resolves only after the first join is sent, which then runs with the apikey's claims, as on Supabase).
 */
export async function createTestClient(url: string, options: { token?: string; apiKey?: string } = {}): Promise<SupabaseClient> {
  const client = createClient(url, options.apiKey ?? LOCAL_ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never, reconnectAfterMs: () => 100, logger: () => {} },
  });
  if (options.token) await client.realtime.setAuth(options.token);
  return client;
}

/** Collects events and lets a test await the first one matching a predicate. */
export class EventLog<T> {
  readonly events: T[] = [];
  private waiters: { predicate: (event: T) => boolean; resolve: (event: T) => void }[] = [];

  readonly push = (event: T): void => {
    this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.predicate(event)) return true;
      waiter.resolve(event);
      return false;
    });
  };

  /** `timeoutMs` only bounds a broken test: on a loaded box the WAL can take seconds to reach the stream. */
  waitFor(predicate: (event: T) => boolean, timeoutMs = 30_000): Promise<T> {
    const found = this.events.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`event not seen within ${timeoutMs} ms; saw ${JSON.stringify(this.events).slice(0, 2000)}`)), timeoutMs);
      this.waiters.push({ predicate, resolve: (event) => { clearTimeout(timer); resolve(event); } });
    });
  }
}
