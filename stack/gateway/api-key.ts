// Kong's key-auth as Supabase configures it: `apikey` header (or `?apikey=` query) must be one of
// the project's API keys; the request then goes on with its own Authorization header.
import type { IncomingMessage } from 'node:http';
import { headerValue } from './http.ts';

export interface ApiKeys {
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
}

export type ApiKeyCheck =
  | { ok: true; key: string }
  | { ok: false; status: 401; body: { message: string } };

export function checkApiKey(req: IncomingMessage, query: URLSearchParams, keys: ApiKeys): ApiKeyCheck {
  const key = headerValue(req, 'apikey') ?? query.get('apikey') ?? undefined;
  if (!key) return { ok: false, status: 401, body: { message: 'No API key found in request' } };
  const known = [keys.anonKey, keys.serviceRoleKey, keys.publishableKey, keys.secretKey];
  if (!known.includes(key)) return { ok: false, status: 401, body: { message: 'Invalid authentication credentials' } };
  return { ok: true, key };
}
