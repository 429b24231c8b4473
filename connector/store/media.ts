// inbound_messages' media download queue: claims and the transitions of media_state (SQL functions of
// migration 20261207003000_media.sql; TypeScript only calls them).
import type { MediaKind, MediaSource } from '../media/describe.ts';
import { interval, withDeadline, type Sql } from './db.ts';

export type MediaFinalState = 'failed' | 'expired' | 'too_large';

/** media_error of media a connector with MEDIA=disabled does not keep (media_state 'disabled'). */
export const MEDIA_DISABLED_REASON = 'not downloaded: the connector keeps no media files (MEDIA=disabled)';

export interface MediaJob {
  id: string;
  session_id: string;
  user_id: string;
  wa_message_id: string;
  media_kind: MediaKind;
  media_mime_type: string | null;
  media_size_bytes: string | null;
  media_file_name: string | null;
  media_source: MediaSource | null;
  media_attempts: number;
}

export function makeMediaStore(sql: Sql) {
  return {
    /** Due downloads of the given sessions (a lapsed claim is taken again); each claim counts one attempt. */
    async claim(owner: string, sessionIds: string[], limit: number, ttlMs: number): Promise<MediaJob[]> {
      if (sessionIds.length === 0 || limit <= 0) return [];
      return (await withDeadline(sql`select * from claim_inbound_media(${owner}, ${sessionIds}::uuid[], ${limit}, ${interval(ttlMs)}::interval)`)) as unknown as MediaJob[];
    },
    async stored(id: string, owner: string, path: string, size: number, mimeType: string): Promise<boolean> {
      const [row] = await withDeadline(sql`select mark_inbound_media_stored(${id}, ${owner}, ${path}, ${size}, ${mimeType}) as ok`);
      return Boolean(row?.ok);
    },
    async retry(id: string, owner: string, delayMs: number, error: string, source: MediaSource | null = null): Promise<boolean> {
      const [row] = await withDeadline(sql`select retry_inbound_media(${id}, ${owner}, ${interval(delayMs)}::interval, ${error},
        ${source ? sql.json(source as never) : null}::jsonb) as ok`);
      return Boolean(row?.ok);
    },
    /** Pending downloads of these sessions end 'disabled' (MEDIA=disabled); returns how many. */
    async disable(sessionIds: string[]): Promise<number> {
      if (sessionIds.length === 0) return 0;
      const [row] = await withDeadline(sql`select disable_inbound_media(${sessionIds}::uuid[], ${MEDIA_DISABLED_REASON}) as n`);
      return Number(row?.n ?? 0);
    },
    /** The preview WhatsApp sent with a stored media message (record_inbound_media_thumbnail). */
    async recordThumbnail(sessionId: string, waMessageId: string, jpeg: Buffer): Promise<boolean> {
      const [row] = await withDeadline(sql`select record_inbound_media_thumbnail(${sessionId}, ${waMessageId}, ${jpeg}) as ok`);
      return Boolean(row?.ok);
    },
    /** A voice note's waveform as WhatsApp sent it (record_inbound_media_waveform). */
    async recordWaveform(sessionId: string, waMessageId: string, waveform: Buffer): Promise<boolean> {
      const [row] = await withDeadline(sql`select record_inbound_media_waveform(${sessionId}, ${waMessageId}, ${waveform}) as ok`);
      return Boolean(row?.ok);
    },
    async fail(id: string, owner: string, state: MediaFinalState, error: string): Promise<boolean> {
      const [row] = await withDeadline(sql`select fail_inbound_media(${id}, ${owner}, ${state}::media_state, ${error}) as ok`);
      return Boolean(row?.ok);
    },
  };
}

export type MediaStore = ReturnType<typeof makeMediaStore>;
