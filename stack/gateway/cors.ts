// CORS as Supabase's Kong cors plugin answers it: every origin allowed, credentials allowed,
// preflights answered by the gateway itself (never forwarded). The default list includes x-retry-count,
// which postgrest-js adds to the GET/HEAD requests it retries on 503/520.
import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOWED_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS';
const DEFAULT_ALLOWED_HEADERS =
  'authorization,x-client-info,apikey,content-type,prefer,range,accept,accept-profile,content-profile,' +
  'x-supabase-api-version,x-region,x-upsert,cache-control,x-retry-count';
// Every response header supabase-js reads (postgrest-js Content-Range and Retry-After, auth-js X-Total-Count,
// Link and X-Supabase-Api-Version, storage-js Content-Type and Content-Length), so a browser sees them too.
const EXPOSED_HEADERS =
  'Content-Range,Content-Location,Content-Profile,Preference-Applied,Range-Unit,X-Supabase-Api-Version,' +
  'X-Total-Count,Link,Retry-After,Location,Content-Length,Content-Type,X-Request-Id';

export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return { 'access-control-allow-origin': '*' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': EXPOSED_HEADERS,
    vary: 'Origin',
  };
}

/** Applies CORS headers to a response; returns true when the request was a preflight and is answered. */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  for (const [name, value] of Object.entries(corsHeaders(req))) res.setHeader(name, value);
  if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(200, {
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': typeof requested === 'string' && requested ? requested : DEFAULT_ALLOWED_HEADERS,
    'access-control-max-age': '3600',
    'content-length': '0',
  });
  res.end();
  return true;
}
