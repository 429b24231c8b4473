// The media of a message row (inbound or outbound), or null for a text message.
import type { InboundMessage, OutboundMessage } from '../../lib/types.ts';
import type { MediaKind, MessageMedia } from './media-types.ts';

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
  };
}
