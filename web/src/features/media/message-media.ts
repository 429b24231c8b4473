// The media of a message row (inbound or outbound), or null for a text message.
import type { InboundMessage, OutboundMessage } from '../../lib/types.ts';
import type { MediaKind, MessageMedia } from './media-types.ts';

/** A bytea column as the Data API and Realtime give it (`\\x` + hex) → its bytes, or null. */
function byteaBytes(bytea: string | null | undefined): number[] | null {
  if (!bytea || !bytea.startsWith('\\x') || bytea.length < 4 || bytea.length % 2 !== 0) return null;
  const hex = bytea.slice(2);
  if (!/^[0-9a-f]+$/i.test(hex)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  return bytes;
}

/** A bytea JPEG column → a data: URL of the JPEG, or null. */
export function jpegDataUrl(bytea: string | null | undefined): string | null {
  const bytes = byteaBytes(bytea);
  if (!bytes || bytes.length < 4) return null;
  let binary = ''; // a 64 KiB preview is too many arguments to spread into one fromCharCode call
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/jpeg;base64,${btoa(binary)}`;
}

/** A bytea waveform column → its bars of 0-100 (a byte above 100 counts as 100), or null. */
export function waveformBars(bytea: string | null | undefined): number[] | null {
  return byteaBytes(bytea)?.map((bar) => Math.min(bar, 100)) ?? null;
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
    waveform: waveformBars(row.media_waveform),
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
    waveform: waveformBars(row.media_waveform),
  };
}
