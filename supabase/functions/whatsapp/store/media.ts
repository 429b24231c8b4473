// The first bytes of a media object the caller uploaded, read from Storage as the caller (RLS on
// storage.objects decides: someone else's object reads as missing). Only a Range of SNIFF_BYTES is fetched,
// so a 100 MB document costs the function 4 KB.
import { SNIFF_BYTES } from '../../_shared/media-type.ts';
import { ApiError } from '../../_shared/api-error.ts';
import { fileTypeFromBuffer } from 'file-type';
import type { Config } from '../config.ts';

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
