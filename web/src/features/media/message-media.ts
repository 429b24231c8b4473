// The media of a message row (inbound or outbound), or null for a text message.
import type { InboundMessage, OutboundMessage } from '../../lib/types.ts';
import type { MediaKind, MessageMedia } from './media-types.ts';

/** A bytea column as the Data API and Realtime give it (`\\x` + hex) → a data: URL of the JPEG, or null. */
export function jpegDataUrl(bytea: string | null | undefined): string | null {
  if (!bytea || !bytea.startsWith('\\x') || bytea.length < 10 || bytea.length % 2 !== 0) return null;
  const hex = bytea.slice(2);
  if (!/^[0-9a-f]+$/i.test(hex)) return null;
  let binary = '';
  for (let i = 0; i < hex.length; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return `data:image/jpeg;base64,${btoa(binary)}`;
}

export function inboundMedia(row: InboundMessage): MessageMedia | null {
  if (!row.media_kind) return null;
  return {
    kind: row.media_kind,
    state: row.media_state,
    path: row.media_path,
    mimeType: row.media_mime_type,
    sizeBytes: row.media_size_bytes,
    fileName: row.media_file_name,
    durationSeconds: row.media_duration_seconds,
    width: row.media_width,
    height: row.media_height,
    thumbnail: jpegDataUrl(row.media_thumbnail),
  };
}

export function outboundMedia(row: OutboundMessage): MessageMedia | null {
  if (row.content_type === 'text' || !row.media_path) return null;
  return {
    kind: row.content_type as MediaKind,
    state: null,
    path: row.media_path,
    mimeType: row.media_mime_type,
    sizeBytes: row.media_size_bytes,
    fileName: row.media_file_name,
    durationSeconds: null,
    width: null,
    height: null,
    thumbnail: null,
  };
}
