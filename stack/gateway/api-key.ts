// Kong's key-auth as Supabase configures it: `apikey` header (or `?apikey=` query) must be one of
// the project's API keys; the request then goes on with its own Authorization header.
// A secret key (`sb_secret_…`) is refused with 401 on every route when the request comes from a browser,
// as Supabase's gateway does: "You cannot use a secret key in the browser (matches on the `User-Agent`
// header) and it will always reply with HTTP 401 Unauthorized" (supabase.com/docs/guides/api/api-keys,
// "service_role and secret keys"). Supabase does not publish the pattern; we match a User-Agent that starts
// with `Mozilla/` (every browser's does; Node, Deno, curl and server SDKs' do not). Users report the same 401
// and body below from Google Apps Script's UrlFetchApp, whose User-Agent is `Mozilla/5.0 (compatible;
// Google-Apps-Script; …)` and cannot be changed: a server, refused because its User-Agent looks like a browser.
// An `sb_…` key as `Authorization: Bearer` is accepted only when it equals the `apikey` (supabase-js sends
// both when nobody is signed in): the gateway then puts the key's role JWT in its place, as Supabase's Kong
// does (docker/volumes/api/kong-entrypoint.sh, LUA_AUTH_EXPR). Any other `Bearer sb_…` reaches the service
// as sent and is refused there as not a JWT ("You cannot send a publishable or secret key in the
// Authorization: Bearer header, except if the value exactly equals the apikey header",
// guides/api/api-keys, Known limitations). Functions get Authorization untouched (verify_jwt refuses it).
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

const fromBrowser = (req: IncomingMessage) => /^Mozilla\//.test(headerValue(req, 'user-agent') ?? '');

/** The refusal of a secret key sent from a browser, checked on every route (with or without key-auth). */
export function refuseSecretKeyFromBrowser(req: IncomingMessage, query: URLSearchParams): ApiKeyCheck | undefined {
  const key = headerValue(req, 'apikey') ?? query.get('apikey') ?? '';
  const bearer = /^bearer\s+(\S+)/i.exec(headerValue(req, 'authorization') ?? '')?.[1] ?? '';
  if (!(key.startsWith('sb_secret_') || bearer.startsWith('sb_secret_')) || !fromBrowser(req)) return undefined;
  return { ok: false, status: 401, body: { message: 'Forbidden use of secret API key in browser' } };
}

/** Kong's request-transformer: `Bearer <sb_ key>` equal to the apikey becomes `Bearer <that key's role JWT>`. */
export function replaceApiKeyBearer(req: IncomingMessage, query: URLSearchParams, keys: ApiKeys): void {
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(headerValue(req, 'authorization') ?? '')?.[1];
  if (!bearer?.startsWith('sb_') || bearer !== (headerValue(req, 'apikey') ?? query.get('apikey'))) return;
  const roleJwt = bearer === keys.secretKey ? keys.serviceRoleKey : bearer === keys.publishableKey ? keys.anonKey : undefined;
  if (roleJwt) req.headers.authorization = `Bearer ${roleJwt}`;
}

export function checkApiKey(req: IncomingMessage, query: URLSearchParams, keys: ApiKeys): ApiKeyCheck {
  const refused = refuseSecretKeyFromBrowser(req, query);
  if (refused) return refused;
  const key = headerValue(req, 'apikey') ?? query.get('apikey') ?? undefined;
  if (!key) return { ok: false, status: 401, body: { message: 'No API key found in request' } };
  const known = [keys.anonKey, keys.serviceRoleKey, keys.publishableKey, keys.secretKey];
  if (!known.includes(key)) return { ok: false, status: 401, body: { message: 'Invalid authentication credentials' } };
  return { ok: true, key };
}
