// The media facts a listed message carries, so a CRM can show a photo, play a voice note or offer a document
// without a second call; and the JPEG preview a sender may attach (POST /messages).
import { z } from '@hono/zod-openapi';
import { Constants } from '../../_shared/database.types.ts';
import { NullableTimestamp } from './common.ts';

/** How long the signed URL of a listed message's file stays valid. */
export const MEDIA_URL_SECONDS = 600;
/** The JPEG bytes of previews one page carries inline; later items of the page say has_thumbnail and leave it to the thumbnail route. */
export const PAGE_THUMBNAIL_BUDGET_BYTES = 262_144;
/** inbound_messages / outbound_messages.media_thumbnail's bound (migrations 20261207003200, 003300) */
export const THUMBNAIL_MAX_BYTES = 65_536;

export const MessageMediaSchema = z.object({
  kind: z.enum(Constants.public.Enums.media_kind)
    .openapi({ description: 'image, video, audio, voice (a voice note, push-to-talk), document or sticker' }),
  state: z.enum(Constants.public.Enums.media_state).openapi({
    description: 'Inbound: `stored` (in Storage at `path`), `pending` (not downloaded yet, retrying), `too_large` (over the size cap: ' +
      'metadata only), `failed`, `expired` (WhatsApp no longer has it), `disabled` (the connector keeps no media). Outbound: always `stored` ' +
      '(the object the user uploaded)',
  }),
  mime_type: z.string().nullable().openapi({ example: 'image/jpeg' }),
  size_bytes: z.number().int().nullable(),
  file_name: z.string().nullable().openapi({ description: 'A document\'s file name' }),
  duration_seconds: z.number().int().nullable().openapi({ description: 'Audio, voice notes and video (inbound)' }),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  waveform: z.array(z.number().int().min(0).max(100)).nullable()
    .openapi({ description: 'A received voice note\'s waveform as the sender\'s phone drew it: bars of 0-100 (WhatsApp sends 64)' }),
  path: z.string().nullable()
    .openapi({ description: 'The object in the private bucket `whatsapp-media` (null until stored); sign it yourself for longer-lived URLs' }),
  url: z.string().nullable().openapi({ description: `A signed URL of the file, valid ${MEDIA_URL_SECONDS / 60} minutes (null when not stored, or Storage could not sign it)` }),
  url_expires_at: NullableTimestamp,
  thumbnail: z.string().nullable().openapi({
    description: 'The JPEG preview (`data:image/jpeg;base64,...`, at most 64 KiB) of an image, video or document. A page carries at most ' +
      `${PAGE_THUMBNAIL_BUDGET_BYTES / 1024} KiB of previews: later ones are null with \`has_thumbnail\` true; GET /messages/{direction}/{id}/thumbnail gives them`,
  }),
  has_thumbnail: z.boolean(),
  error: z.string().nullable().openapi({ description: 'Inbound: why the file is not stored (too large, failed, expired), if so' }),
}).openapi('MessageMedia');

export type MessageMediaView = z.infer<typeof MessageMediaSchema>;

/** `data:image/jpeg;base64,...` of a JPEG of at most THUMBNAIL_MAX_BYTES (the columns' rule), as a sender attaches it. */
export const ThumbnailDataUrl = z.string().max(100_000)
  .refine((value) => jpegOfDataUrl(value) !== null,
    `media_thumbnail must be a JPEG of at most ${THUMBNAIL_MAX_BYTES / 1024} KiB as a data URL (data:image/jpeg;base64,...)`)
  .openapi({ description: 'A JPEG preview the contact\'s phone shows until the file is downloaded (image, video, document), as a data URL', example: 'data:image/jpeg;base64,/9j/4AAQ...' });

const DATA_URL = /^data:image\/jpeg;base64,([A-Za-z0-9+/]+={0,2})$/;

/** The JPEG bytes of a data URL, or null when it is not a small JPEG. */
export function jpegOfDataUrl(value: string): Uint8Array | null {
  const match = DATA_URL.exec(value);
  if (!match) return null;
  let binary: string;
  try {
    binary = atob(match[1]!);
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  const isJpeg = bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  return isJpeg && bytes.length <= THUMBNAIL_MAX_BYTES ? bytes : null;
}

export const ThumbnailParams = z.object({
  direction: z.enum(['inbound', 'outbound']).openapi({ param: { name: 'direction', in: 'path' } }),
  id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, description: 'The item\'s `id` (a number for inbound, a uuid for outbound)' }),
});
