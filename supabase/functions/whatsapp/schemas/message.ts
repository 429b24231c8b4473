import { z } from '@hono/zod-openapi';
import { Constants, type Tables } from '../../_shared/database.types.ts';
import { NullableTimestamp, Timestamp } from './common.ts';
import { MessageMediaSchema, THUMBNAIL_MAX_BYTES, ThumbnailDataUrl } from './media.ts';

export const MAX_TEXT_CHARS = 4096;

/**
 * Postgres text cannot hold U+0000 (a NUL reaching the database is SQLSTATE 22P05), and an unpaired UTF-16
 * surrogate is not Unicode at all (Postgres' JSON parser refuses it; a UTF-8 encoder silently turns it into U+FFFD).
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const isStorable = (value: string) => !UNSTORABLE.test(value);
const UNSTORABLE_MESSAGE = 'must not contain NUL characters (U+0000) or unpaired surrogates';

/** Reports what is wrong with a message text or caption (counted as Postgres counts: code points), if anything. */
export function messageTextProblem(text: string, maxChars: number, report: (message: string) => void): void {
  if (text.trim() === '') report('text must not be empty');
  else if (!isStorable(text)) report(`text ${UNSTORABLE_MESSAGE}`);
  else if ([...text].length > maxChars) report(`text is longer than ${maxChars} characters`);
}

const IDEMPOTENCY_KEY_MAX = 200;
export const IdempotencyKey = z.string().min(1).max(IDEMPOTENCY_KEY_MAX)
  .refine(isStorable, `idempotency_key ${UNSTORABLE_MESSAGE}`)
  .openapi({ description: 'Retries with the same key return the first message and send nothing twice', example: 'order-1234-confirmation' });

export const MAX_CAPTION_CHARS = 1024;
const MEDIA_KINDS = Constants.public.Enums.media_kind;
export const CONTENT_TYPES = ['text', ...MEDIA_KINDS] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];
const CAPTIONED: readonly ContentType[] = ['image', 'video', 'document'];

/** An object of the whatsapp-media bucket: `<user_id>/...`, no empty, `.` or `..` segment. */
const MEDIA_PATH_MAX = 1024;
const MediaPath = z.string().min(3).max(MEDIA_PATH_MAX)
  .refine((p) => isStorable(p) && p.split('/').length >= 2 && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'media_path must be an object path in the whatsapp-media bucket, like <your user id>/outbox/quote.pdf')
  .openapi({ description: 'Object in the private bucket `whatsapp-media` that the caller uploaded into their own folder (`<user_id>/...`)', example: '6f1c…/outbox/quote.pdf' });

const TO_MAX = 64;
const FILE_NAME_MAX = 255;
const QUOTED_ID_MAX = 128;

/**
 * The largest body of a valid POST /messages, as a client's JSON encoder may write it at worst (any character of
 * a string escaped as \uXXXX: 6 bytes per UTF-16 unit, 12 per code point): the longer of a full text message and
 * a media message with a full caption, path and file name and the largest preview (a JPEG of THUMBNAIL_MAX_BYTES
 * as a data URL, ASCII), every other field at its bound, and room for the field names. The function's body limit
 * may not be lower (config.ts): a message this schema accepts must never be refused 413.
 */
const THUMBNAIL_DATA_URL_MAX = 'data:image/jpeg;base64,'.length + 4 * Math.ceil(THUMBNAIL_MAX_BYTES / 3);
export const LARGEST_MESSAGE_BODY_BYTES = Math.max(
  MAX_TEXT_CHARS * 12,
  THUMBNAIL_DATA_URL_MAX + MAX_CAPTION_CHARS * 12 + (MEDIA_PATH_MAX + FILE_NAME_MAX + QUOTED_ID_MAX) * 6,
) + (TO_MAX + IDEMPOTENCY_KEY_MAX) * 6 + 2 * 36 + 256;

export const SendMessageSchema = z.object({
  session_id: z.uuid().optional().openapi({ description: 'Default: the user\'s active session' }),
  to: z.string().min(1).max(TO_MAX).optional()
    .openapi({ description: 'Recipient phone number, E.164 (+14155552671) or national with the configured default country. Give `to` or `contact_id`', example: '+14155552671' }),
  contact_id: z.uuid().optional()
    .openapi({ description: 'Send to this contact (the `contact_id` of GET /conversations): to its phone when known, else to its LID, so a contact ' +
      'whose number WhatsApp hides can be answered. Give `to` or `contact_id`' }),
  content_type: z.enum(CONTENT_TYPES).default('text')
    .openapi({ description: '`text` (default), or the media kind of `media_path`: image, video, audio, voice (a voice note, push-to-talk; Ogg Opus), document, sticker (WebP)' }),
  text: z.string().optional()
    .openapi({ description: `The message (text, up to ${MAX_TEXT_CHARS} characters), or the caption of an image, video or document (up to ${MAX_CAPTION_CHARS})`, example: 'Hello from the CRM' }),
  media_path: MediaPath.optional(),
  media_file_name: z.string().min(1).max(FILE_NAME_MAX).optional()
    .openapi({ description: 'A document\'s file name as the contact sees it (default: the object\'s name)', example: 'Quote 2026.pdf' }),
  quoted_wa_message_id: z.string().min(1).max(QUOTED_ID_MAX).optional()
    .openapi({ description: 'Reply to this message of the session (its wa_message_id)' }),
  media_thumbnail: ThumbnailDataUrl.optional(),
  idempotency_key: IdempotencyKey.optional(),
}).strict().superRefine((body, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if ((body.to === undefined) === (body.contact_id === undefined)) issue('to', 'give either to (a phone number) or contact_id');
  if (body.content_type === 'text') {
    if (body.text === undefined) issue('text', 'text is required for a text message');
    else messageTextProblem(body.text, MAX_TEXT_CHARS, (m) => issue('text', m));
    if (body.media_path !== undefined) issue('media_path', 'media_path needs content_type set to the file\'s kind (image, video, audio, voice, document, sticker)');
  } else {
    if (body.media_path === undefined) issue('media_path', `media_path is required for ${body.content_type}: upload the file to the whatsapp-media bucket first`);
    if (body.text !== undefined) {
      if (!CAPTIONED.includes(body.content_type)) issue('text', `${body.content_type} messages have no caption`);
      else messageTextProblem(body.text, MAX_CAPTION_CHARS, (m) => issue('text', m));
    }
  }
  if (body.media_file_name !== undefined) {
    if (body.content_type !== 'document') issue('media_file_name', 'media_file_name is only for documents');
    else if (/[/\\\u0000-\u001f\u007f]/.test(body.media_file_name) || !isStorable(body.media_file_name)) {
      issue('media_file_name', 'media_file_name must not contain slashes or control characters');
    }
  }
  if (body.media_thumbnail !== undefined && !CAPTIONED.includes(body.content_type)) {
    issue('media_thumbnail', 'media_thumbnail is only for images, video and documents');
  }
  if (body.quoted_wa_message_id !== undefined && !isStorable(body.quoted_wa_message_id)) {
    issue('quoted_wa_message_id', `quoted_wa_message_id ${UNSTORABLE_MESSAGE}`);
  }
}).openapi('SendMessage');

export const SendMessageHeaders = z.object({
  'idempotency-key': IdempotencyKey.optional().openapi({ param: { name: 'idempotency-key', in: 'header' }, description: 'Idempotency-Key header (alternative to the body field)' }),
});

export const OutboundMessageSchema = z.object({
  id: z.uuid(),
  session_id: z.uuid(),
  to: z.string().nullable().openapi({ description: 'The phone number; null when the contact\'s number is hidden and the message goes to its LID', example: '+14155552671' }),
  contact_id: z.uuid().nullable().openapi({ description: 'The contact (set at once when addressed by contact_id, else once sent)' }),
  content_type: z.enum(CONTENT_TYPES),
  text: z.string().nullable().openapi({ description: 'The text, or a media message\'s caption' }),
  media_path: z.string().nullable(),
  media_file_name: z.string().nullable(),
  media_mime_type: z.string().nullable().openapi({ description: 'The object\'s type, as Storage has it' }),
  media_size_bytes: z.number().int().nullable(),
  quoted_wa_message_id: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  status: z.enum(Constants.public.Enums.outbound_status),
  attempts: z.number().int(),
  wa_message_id: z.string(),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  sent_at: NullableTimestamp,
  delivered_at: NullableTimestamp,
  read_at: NullableTimestamp,
  failed_at: NullableTimestamp,
}).openapi('OutboundMessage');

export const ListMessagesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50)
    .openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  cursor: z.string().min(1).max(500).optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: 'next_cursor of the previous page' }),
  session_id: z.uuid().optional()
    .openapi({ param: { name: 'session_id', in: 'query' }, description: 'Only this session (default: all of the user\'s sessions)' }),
  contact_id: z.uuid().optional()
    .openapi({ param: { name: 'contact_id', in: 'query' }, description: 'Only the messages with this contact (the `contact_id` of GET /conversations): one chat\'s timeline' }),
});

/** A text the message had before an edit (the column comment of inbound_messages.previous_texts). */
export const PreviousTextSchema = z.object({
  text: z.string().nullable(),
  replaced_at: Timestamp,
}).openapi('PreviousText');

/** One side's reaction to a message (a message_reactions row: at most one per side). */
export const ReactionSchema = z.object({
  emoji: z.string().openapi({ example: '👍' }),
  from_me: z.boolean().openapi({ description: 'true: the owner\'s reaction (from the CRM or the phone); false: the contact\'s' }),
  reacted_at: Timestamp,
}).openapi('Reaction');

export const ListedMessageSchema = z.object({
  direction: z.enum(['outbound', 'inbound']),
  id: z.string().openapi({ description: 'Row id (uuid for outbound, number as text for inbound)' }),
  session_id: z.uuid(),
  contact: z.string().nullable().openapi({ description: 'The other party\'s phone number (E.164): the recipient (outbound), the contact ' +
    '(inbound, also on what the owner typed on the phone). null when the contact does not share it (`number_hidden`): show ' +
    '`contact_name` and "number hidden"; a LID is never given as a phone number', example: '+14155552671' }),
  contact_id: z.uuid().nullable().openapi({ description: 'The contact (`whatsapp_contacts.id`, the `contact_id` of GET /conversations)' }),
  contact_name: z.string().nullable().openapi({ description: 'The name the contact is known by (saved name, else push name)' }),
  number_hidden: z.boolean().openapi({ description: 'true when the contact\'s phone number is not known (WhatsApp shows only a LID)' }),
  text: z.string().nullable(),
  type: z.string().openapi({ description: 'text, or the WhatsApp message type of an inbound message' }),
  status: z.string().openapi({ description: 'Outbound delivery status, or `received`' }),
  from_me: z.boolean(),
  push_name: z.string().nullable(),
  wa_message_id: z.string(),
  error: z.string().nullable(),
  media: MessageMediaSchema.nullable().openapi({ description: 'What the file is and where to get it (null for text)' }),
  pending: z.boolean().openapi({ description: 'true: WhatsApp delivered only a placeholder (an ad lead\'s first message); the row gets its ' +
    'content in place when the phone resends it. Always false for outbound' }),
  edited_at: NullableTimestamp.openapi({ description: 'When the author last edited the text (null: never edited)' }),
  previous_texts: z.array(PreviousTextSchema).openapi({ description: 'The texts before each edit, oldest first' }),
  deleted_at: NullableTimestamp.openapi({ description: 'When the author deleted it for everyone (the row and its text stay; show it as deleted)' }),
  imported: z.boolean().openapi({ description: 'true: imported from the recent history WhatsApp sent when the number was linked (automations skip these)' }),
  reactions: z.array(ReactionSchema).openapi({ description: 'The reactions to it: at most one of the contact and one of the owner' }),
  timestamp: Timestamp,
}).openapi('ListedMessage');

export const MessagePageSchema = z.object({
  messages: z.array(ListedMessageSchema),
  next_cursor: z.string().nullable(),
}).openapi('MessagePage');

export type OutboundView = z.infer<typeof OutboundMessageSchema>;
export type ListedMessageView = z.infer<typeof ListedMessageSchema>;
export type ReactionView = z.infer<typeof ReactionSchema>;

// Compile-time: the timeline fields of a listed message are the columns' own types (one vocabulary: a schema
// change of one of them fails the type check here, not in a CRM).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type TimelineColumn = 'pending' | 'edited_at' | 'deleted_at' | 'imported';
export const LISTED_TIMELINE_IS_SCHEMA: Same<Pick<ListedMessageView, TimelineColumn>, Pick<Tables<'inbound_messages'>, TimelineColumn>>
  & Same<Pick<ListedMessageView, 'edited_at' | 'deleted_at'>, Pick<Tables<'outbound_messages'>, 'edited_at' | 'deleted_at'>>
  & Same<ReactionView, Pick<Tables<'message_reactions'>, 'emoji' | 'from_me' | 'reacted_at'>> = true;
