// Shared setup of the whatsapp Edge Function end-to-end tests: the local stack (test/support/stack.ts)
// on this file's own database, with the function running in real Deno behind /functions/v1/whatsapp;
// fresh users; and a plain-fetch caller as a CRM would use. Not a test file itself.
import { fileURLToPath } from 'node:url';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startTestStack, type TestStack, type TestStackOptions } from '../support/stack.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Low limits in hour-long windows for the local stack; a real Supabase keeps the function's defaults. */
const LOCAL_LIMITS = { messages: 25, sessions: 25, windowSeconds: 3600 };
const DEFAULT_LIMITS = { messages: 120, sessions: 60, windowSeconds: 60 };

export interface FunctionHarness {
  stack: TestStack;
  functionUrl: string;
  limits: { messages: number; sessions: number; windowSeconds: number };
  stop(): Promise<void>;
}

export async function startFunctionHarness(
  extraEnv: Record<string, string> = {},
  stackOptions: Pick<TestStackOptions, 'jwtAlgorithm'> = {},
): Promise<FunctionHarness> {
  const stack = await startTestStack({
    ...stackOptions,
    realtime: false,
    functionEnv: {
      DENO_DIR: `${root}.data/deno`,
      WHATSAPP_DEFAULT_COUNTRY: 'US',
      WHATSAPP_RATE_LIMIT_MESSAGES: String(LOCAL_LIMITS.messages),
      WHATSAPP_RATE_LIMIT_SESSIONS: String(LOCAL_LIMITS.sessions),
      WHATSAPP_RATE_LIMIT_WINDOW_SECONDS: String(LOCAL_LIMITS.windowSeconds),
      WHATSAPP_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
  });
  return {
    stack,
    functionUrl: `${stack.url}/functions/v1/whatsapp`,
    limits: stack.external ? DEFAULT_LIMITS : LOCAL_LIMITS,
    stop: () => stack.stop(),
  };
}

export interface TestUser {
  id: string;
  token: string;
  /** supabase-js signed in as this user: functions.invoke sends the user's access token. */
  client: SupabaseClient;
}

export async function createSignedInUser(stack: TestStack): Promise<TestUser> {
  const { user, accessToken, client } = await stack.signUp();
  return { id: user.id, token: accessToken, client };
}

export interface ApiReply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes; tests assert on it
}

/** Plain fetch against the function, as a CRM would call it. */
export function apiCaller(functionUrl: string) {
  return async function api(
    method: string,
    path: string,
    options: { token?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
  ): Promise<ApiReply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    }
    const res = await fetch(`${functionUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (the docs page)
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
}
