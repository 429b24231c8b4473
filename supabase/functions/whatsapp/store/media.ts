// Media in Storage and on message rows, always as the caller (RLS decides: someone else's object reads as missing):
// the first bytes of an object the caller uploaded (only a Range of SNIFF_BYTES is fetched, so a 100 MB document
// costs the function 4 KB), the signed URLs of a page's files, a message's preview.
import { SNIFF_BYTES } from '../../_shared/media-type.ts';
import { ApiError } from '../../_shared/api-error.ts';
import { fileTypeFromBuffer } from 'file-type';
import { serializeError, type Logger } from '../../_shared/log.ts';
import { toApiError } from '../../_shared/postgrest-error.ts';
import type { Config } from '../config.ts';
import type { Db } from '../types.ts';

export const MEDIA_BUCKET = 'whatsapp-media';

export type ObjectHead =
  | { found: true; mimeType: string; bytes: Uint8Array }
  /** missing, not the caller's, or empty: the insert trigger names which */
  | { found: false };

export async function readObjectHead(config: Pick<Config, 'supabaseUrl' | 'supabasePublishableKey'>, authorization: string, path: string): Promise<ObjectHead> {
  const url = `${config.supabaseUrl}/storage/v1/object/authenticated/${MEDIA_BUCKET}/${path.split('/').map(encodeURIComponent).join('/')}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { Authorization: authorization, apikey: config.supabasePublishableKey, Range: `bytes=0-${SNIFF_BYTES - 1}` } });
  } catch (cause) {
    throw new ApiError(503, 'storage_unavailable', 'Storage is unavailable, try again', { cause });
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    // Storage answers a missing (or invisible) object 400/404, and a Range on an empty one 416
    if (res.status < 500) return { found: false };
    throw new ApiError(503, 'storage_unavailable', 'Storage is unavailable, try again', { cause: `storage answered ${res.status}` });
  }
  const bytes = await readAtMost(res, SNIFF_BYTES);
  if (bytes.length === 0) return { found: false };
  return { found: true, mimeType: res.headers.get('content-type') ?? 'application/octet-stream', bytes };
}

/** At most `limit` bytes of the body (a server that ignores Range is not read to the end). */
async function readAtMost(res: Response, limit: number): Promise<Uint8Array> {
  const out = new Uint8Array(limit);
  let length = 0;
  const reader = res.body?.getReader();
  if (!reader) return out.subarray(0, 0);
  while (length < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    const take = Math.min(value.length, limit - length);
    out.set(value.subarray(0, take), length);
    length += take;
  }
  await reader.cancel().catch(() => {});
  return out.subarray(0, length);
}

/** What the first bytes are (file-type), against what the object was uploaded as; null when there is nothing to read. */
export async function sniffObject(config: Pick<Config, 'supabaseUrl' | 'supabasePublishableKey'>, authorization: string, path: string): Promise<{ declared: string; sniffed: string | undefined } | null> {
  const head = await readObjectHead(config, authorization, path);
  if (!head.found) return null;
  return { declared: head.mimeType, sniffed: (await fileTypeFromBuffer(head.bytes))?.mime };
}

/** Signed URLs of a page's files (path -> URL), all valid until expiresAt. */
export interface SignedUrls {
  urls: Map<string, string>;
  expiresAt: string | null;
}

/**
 * Signs the page's files in one Storage call, as the caller (only their own objects sign). A listing does not fail
 * because Storage does: the files then go without a URL (their path is still given) and the failure is logged.
 */
export async function signMediaUrls(db: Db, paths: string[], seconds: number, logger: Logger): Promise<SignedUrls> {
  const urls = new Map<string, string>();
  const unique = [...new Set(paths)];
  if (unique.length === 0) return { urls, expiresAt: null };
  const expiresAt = new Date(Date.now() + seconds * 1000).toISOString();
  try {
    const { data, error } = await db.storage.from(MEDIA_BUCKET).createSignedUrls(unique, seconds);
    if (error) throw error;
    for (const entry of data) if (entry.path && entry.signedUrl && !entry.error) urls.set(entry.path, entry.signedUrl);
  } catch (cause) {
    logger.warn('media urls not signed', { cause: serializeError(cause), count: unique.length });
  }
  return { urls, expiresAt };
}

/** The preview of one of the caller's messages (RLS decides), as PostgREST gives bytea; undefined when no such message. */
export async function findThumbnail(db: Db, direction: 'inbound' | 'outbound', id: string): Promise<string | null | undefined> {
  const { data, error } = direction === 'inbound'
    ? await db.from('inbound_messages').select('media_thumbnail').eq('id', Number(id)).limit(1)
    : await db.from('outbound_messages').select('media_thumbnail').eq('id', id).limit(1);
  if (error) throw toApiError(error);
  return data[0] ? data[0].media_thumbnail : undefined;
}
