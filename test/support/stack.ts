// The local Supabase stack for tests: a gateway on a free port against this test file's own cloned
// database, plus ready-made supabase-js clients.
//
//   import { startTestStack, type TestStack } from '../support/stack.ts';
//   let stack: TestStack;
//   beforeAll(async () => { stack = await startTestStack(); });
//   afterAll(() => stack.stop());
//
//   const { client, user } = await stack.signUp();      // a fresh user, signed in (real /auth/v1)
//   await client.from('outbound_messages').select();     // RLS applies as that user
//   stack.serviceClient()                                 // the secret key (sb_secret_…): service_role, bypasses RLS
//   stack.client()                                        // the publishable key (sb_publishable_…): anon;
//                                                         // stack.client(accessToken) for a given JWT
//   stack.sql                                             // superuser postgres.js on the same database
//
// TestStack: { url, anonKey, serviceRoleKey, publishableKey, secretKey, jwtSecret, jwtKeys, databaseUrl, sql,
//   external, storageDir, client(accessToken?), serviceClient(), signUp({email?, password?, data?}), stop() }
// Options: { functionsDir, configPath, functionEnv, prestartFunctions, maxBodyBytes, realtime, realtimeLimits, storageFileSizeLimit, jwtAlgorithm, logLevel }
// go to startStack.
//
// Clients, signUp and restAs use the new API keys (publishable / secret), as a project created today does;
// anonKey / serviceRoleKey (the legacy JWT keys) stay for the tests of the legacy mode.
// Against a real Supabase (e.g. `supabase start`) instead: set SUPABASE_URL, SUPABASE_PUBLISHABLE_KEY,
// SUPABASE_SECRET_KEY and DATABASE_URL (SUPABASE_ANON_KEY / SUPABASE_SERVICE_ROLE_KEY for the legacy keys);
// nothing is started and stop() only closes clients.
// Clients use `auth: { persistSession: false, autoRefreshToken: false }` and the `ws` WebSocket
// (Node 20 has no global WebSocket).
import { randomBytes } from 'node:crypto';
import { createClient, type SupabaseClient, type User, type Session } from '@supabase/supabase-js';
import pino from 'pino';
import postgres from 'postgres';
import WebSocket from 'ws';
import { startStack, type StartStackOptions } from '../../stack/index.ts';
import {
  LOCAL_ANON_KEY, LOCAL_JWT_SECRET, LOCAL_PUBLISHABLE_KEY, LOCAL_SECRET_KEY, LOCAL_SERVICE_ROLE_KEY, type JwtKeys,
} from '../../stack/keys.ts';
import { createTestDatabase } from './postgres.ts';

export interface TestStackOptions
  extends Pick<StartStackOptions, 'functionsDir' | 'configPath' | 'functionEnv' | 'prestartFunctions' | 'maxBodyBytes' | 'realtime' | 'realtimeLimits' | 'jwtExpirySeconds' | 'storageFileSizeLimit' | 'jwtAlgorithm'> {
  /** pino level for the stack's logs; default `warn` (LOG_LEVEL overrides). */
  logLevel?: string;
}

export interface SignedUpUser {
  client: SupabaseClient;
  user: User;
  session: Session;
  accessToken: string;
  email: string;
  password: string;
}

export interface TestStack {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  /** The legacy JWT secret (HS256). */
  jwtSecret: string;
  /** The local stack's signing keys (mint tokens as its Auth does); undefined against an external Supabase. */
  jwtKeys: JwtKeys | undefined;
  databaseUrl: string;
  /** Superuser postgres.js client on the stack's database (arrange data, check what was written). */
  sql: postgres.Sql;
  /** true when running against an external Supabase (SUPABASE_URL set). */
  external: boolean;
  /** The local stack's Storage folder (its own temporary one; undefined against an external Supabase). */
  storageDir: string | undefined;
  /** An anon client (publishable key); with `accessToken`, every request carries that JWT instead. */
  client(accessToken?: string): SupabaseClient;
  /** A service_role client (secret key). */
  serviceClient(): SupabaseClient;
  /** Signs up a fresh user (random e-mail) through /auth/v1 and returns a client signed in as them. */
  signUp(options?: { email?: string; password?: string; data?: Record<string, unknown> }): Promise<SignedUpUser>;
  stop(): Promise<void>;
}

/** A raw /rest/v1 request as `user`, to send or read headers supabase-js does not expose (Accept, Prefer, Content-Range). */
export async function restAs(stack: TestStack, user: SignedUpUser, path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const res = await fetch(`${stack.url}/rest/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { apikey: stack.publishableKey, authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json', ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  return { status: res.status, range: res.headers.get('content-range'), body: text ? (JSON.parse(text) as unknown) : undefined };
}

const clientOptions = (headers?: Record<string, string>) => ({
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  realtime: { transport: WebSocket as never },
  ...(headers ? { global: { headers } } : {}),
});

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const externalUrl = process.env.SUPABASE_URL;
  let base: Omit<TestStack, 'client' | 'serviceClient' | 'signUp' | 'stop' | 'sql'> & { sql: postgres.Sql };
  let stopStack: () => Promise<void>;

  if (externalUrl) {
    const databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) throw new Error('SUPABASE_URL is set: DATABASE_URL must be set too (the project database)');
    base = {
      url: externalUrl.replace(/\/$/, ''),
      anonKey: process.env.SUPABASE_ANON_KEY ?? LOCAL_ANON_KEY,
      serviceRoleKey: process.env.SUPABASE_SERVICE_ROLE_KEY ?? LOCAL_SERVICE_ROLE_KEY,
      publishableKey: process.env.SUPABASE_PUBLISHABLE_KEY ?? LOCAL_PUBLISHABLE_KEY,
      secretKey: process.env.SUPABASE_SECRET_KEY ?? LOCAL_SECRET_KEY,
      jwtSecret: process.env.SUPABASE_JWT_SECRET ?? LOCAL_JWT_SECRET,
      jwtKeys: undefined,
      databaseUrl,
      sql: postgres(databaseUrl, { onnotice: () => {} }),
      external: true,
      storageDir: undefined,
    };
    stopStack = async () => {};
  } else {
    const db = await createTestDatabase();
    try {
      const stack = await startStack({
        ...options,
        port: 0,
        databaseUrl: db.url,
        prepare: false,
        logger: pino({ level: process.env.LOG_LEVEL ?? options.logLevel ?? 'warn' }),
      });
      base = { ...stack, sql: db.sql, external: false };
      stopStack = async () => {
        await stack.stop();
        await db.drop();
      };
    } catch (error) {
      await db.drop();
      throw error;
    }
  }

  const clients: SupabaseClient[] = [];
  const track = (client: SupabaseClient) => {
    clients.push(client);
    return client;
  };

  return {
    ...base,
    client: (accessToken) =>
      track(createClient(base.url, base.publishableKey, clientOptions(accessToken ? { Authorization: `Bearer ${accessToken}` } : undefined))),
    serviceClient: () => track(createClient(base.url, base.secretKey, clientOptions())),
    async signUp(signUpOptions = {}) {
      const email = signUpOptions.email ?? `user-${randomBytes(6).toString('hex')}@test.local`;
      const password = signUpOptions.password ?? `pw-${randomBytes(8).toString('hex')}`;
      const client = track(createClient(base.url, base.publishableKey, clientOptions()));
      const { data, error } = await client.auth.signUp({ email, password, options: { data: signUpOptions.data } });
      if (error) throw error;
      if (!data.session || !data.user) throw new Error('sign-up returned no session: is e-mail confirmation on?');
      return { client, user: data.user, session: data.session, accessToken: data.session.access_token, email, password };
    },
    async stop() {
      await Promise.all(clients.splice(0).map((c) => c.removeAllChannels().catch(() => {})));
      if (base.external) await base.sql.end();
      await stopStack();
    },
  };
}
