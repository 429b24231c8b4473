// Row -> the `media` of a listed message: facts from the row, a signed URL from one Storage call per page, and
// the preview inline while the page's budget lasts (PAGE_THUMBNAIL_BUDGET_BYTES), so a page stays bounded.
import { Constants } from '../../_shared/database.types.ts';
import type { MessageMediaView } from '../schemas/media.ts';
import { PAGE_THUMBNAIL_BUDGET_BYTES } from '../schemas/media.ts';
import type { SignedUrls } from '../store/media.ts';
import type { InboundRow, ListedMessage, ListedOutboundRow } from '../store/messages.ts';

type MediaKind = MessageMediaView['kind'];
const MEDIA_KINDS: readonly string[] = Constants.public.Enums.media_kind;
const isMediaKind = (value: string): value is MediaKind => MEDIA_KINDS.includes(value);

/** bytea as PostgREST gives it (`\x` + hex) -> bytes; null for anything else. */
export function bytesOfBytea(value: string | null): Uint8Array<ArrayBuffer> | null {
  if (!value || !value.startsWith('\\x') || value.length % 2 !== 0) return null;
  const hex = value.slice(2);
  if (!/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export const jpegDataUrl = (bytes: Uint8Array) => `data:image/jpeg;base64,${base64Of(bytes)}`;

/** The Storage paths of a page's files that can be signed (stored inbound media, outbound uploads). */
export function signablePaths(items: ListedMessage[]): string[] {
  return items.flatMap((item) => {
    if (item.direction === 'inbound') return item.row.media_state === 'stored' && item.row.media_path ? [item.row.media_path] : [];
    return item.row.media_path && isMediaKind(item.row.content_type) ? [item.row.media_path] : [];
  });
}

/** Hands out the page's preview budget in list order. */
export class ThumbnailBudget {
  #left = PAGE_THUMBNAIL_BUDGET_BYTES;
  inline(bytes: Uint8Array): string | null {
    if (bytes.length > this.#left) return null;
    this.#left -= bytes.length;
    return jpegDataUrl(bytes);
  }
}

function links(path: string | null, signed: SignedUrls): Pick<MessageMediaView, 'path' | 'url' | 'url_expires_at'> {
  const url = path ? (signed.urls.get(path) ?? null) : null;
  return { path, url, url_expires_at: url ? signed.expiresAt : null };
}

function preview(thumbnail: string | null, budget: ThumbnailBudget): Pick<MessageMediaView, 'thumbnail' | 'has_thumbnail'> {
  const bytes = bytesOfBytea(thumbnail);
  return { thumbnail: bytes ? budget.inline(bytes) : null, has_thumbnail: bytes !== null };
}

export function inboundMedia(row: InboundRow, signed: SignedUrls, budget: ThumbnailBudget): MessageMediaView | null {
  if (row.media_kind === null || row.media_state === null) return null;
  const waveform = bytesOfBytea(row.media_waveform);
  const stored = row.media_state === 'stored';
  return {
    kind: row.media_kind,
    state: row.media_state,
    mime_type: row.media_mime_type,
    size_bytes: row.media_size_bytes === null ? null : Number(row.media_size_bytes),
    file_name: row.media_file_name,
    duration_seconds: row.media_duration_seconds,
    width: row.media_width,
    height: row.media_height,
    waveform: waveform ? Array.from(waveform, (bar) => Math.min(bar, 100)) : null,
    ...links(stored ? row.media_path : null, signed),
    ...preview(row.media_thumbnail, budget),
    error: stored ? null : row.media_error,
  };
}

export function outboundMedia(row: ListedOutboundRow, signed: SignedUrls, budget: ThumbnailBudget): MessageMediaView | null {
  if (!isMediaKind(row.content_type) || row.media_path === null) return null;
  return {
    kind: row.content_type,
    state: 'stored',
    mime_type: row.media_mime_type,
    size_bytes: row.media_size_bytes === null ? null : Number(row.media_size_bytes),
    file_name: row.media_file_name,
    duration_seconds: null,
    width: null,
    height: null,
    waveform: null,
    ...links(row.media_path, signed),
    ...preview(row.media_thumbnail, budget),
    error: null,
  };
}
