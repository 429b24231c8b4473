// Media vocabulary of the web app, taken from the generated schema types (media_kind, media_state,
// whatsapp_media_rules): never re-typed here.
import type { Enums, Tables } from '../../../../supabase/functions/_shared/database.types.ts';

export type MediaKind = Enums<'media_kind'>;
export type MediaState = Enums<'media_state'>;
export type MediaRule = Tables<'whatsapp_media_rules'>;

/** The private bucket of WhatsApp media (CONTRACTS: `<user_id>/<session_id>/<file>`). */
export const MEDIA_BUCKET = 'whatsapp-media';

/** The media columns of a message row, inbound or outbound, that the app shows. */
export interface MessageMedia {
  kind: MediaKind;
  /** Outbound rows have no state: their object was uploaded before the row was queued. */
  state: MediaState | null;
  path: string | null;
  mimeType: string | null;
  sizeBytes: number | null;
  fileName: string | null;
  durationSeconds: number | null;
  width: number | null;
  height: number | null;
  /** the JPEG preview WhatsApp sent with the message, as a data: URL (shown before or without the file) */
  thumbnail: string | null;
  /** a voice note's waveform (WhatsApp's AudioMessage.waveform: bars of 0-100), received or as the connector sent it */
  waveform: number[] | null;
}
