import { z } from '@hono/zod-openapi';
import { Constants } from '../../_shared/database.types.ts';
import { NullableTimestamp, Timestamp } from './common.ts';

export const MAX_TEXT_CHARS = 4096;

/**
 * Postgres text cannot hold U+0000 (a NUL reaching the database is SQLSTATE 22P05), and an unpaired UTF-16
 * surrogate is not Unicode at all (Postgres' JSON parser refuses it; a UTF-8 encoder silently turns it into U+FFFD).
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isStorable = (value: string) => !UNSTORABLE.test(value);
const UNSTORABLE_MESSAGE = 'must not contain NUL characters (U+0000) or unpaired surrogates';

/** Text as Postgres counts it (code points), not blank. */
const messageText = z.string().superRefine((text, ctx) => {
  if (text.trim() === '') ctx.addIssue({ code: 'custom', message: 'text must not be empty' });
  else if (!isStorable(text)) ctx.addIssue({ code: 'custom', message: `text ${UNSTORABLE_MESSAGE}` });
  else if ([...text].length > MAX_TEXT_CHARS) ctx.addIssue({ code: 'custom', message: `text is longer than ${MAX_TEXT_CHARS} characters` });
}).openapi({ minLength: 1, maxLength: MAX_TEXT_CHARS, example: 'Hello from the CRM' });

export const IdempotencyKey = z.string().min(1).max(200)
  .refine(isStorable, `idempotency_key ${UNSTORABLE_MESSAGE}`)
  .openapi({ description: 'Retries with the same key return the first message and send nothing twice', example: 'order-1234-confirmation' });

export const SendMessageSchema = z.object({
  session_id: z.uuid().optional().openapi({ description: 'Default: the user\'s active session' }),
  to: z.string().min(1).max(64)
    .openapi({ description: 'Recipient phone number, E.164 (+14155552671) or national with the configured default country', example: '+14155552671' }),
  text: messageText,
  idempotency_key: IdempotencyKey.optional(),
}).strict().openapi('SendMessage');

export const SendMessageHeaders = z.object({
  'idempotency-key': IdempotencyKey.optional().openapi({ param: { name: 'idempotency-key', in: 'header' }, description: 'Idempotency-Key header (alternative to the body field)' }),
});

export const OutboundMessageSchema = z.object({
  id: z.uuid(),
  session_id: z.uuid(),
  to: z.string().openapi({ example: '+14155552671' }),
  content_type: z.literal('text'),
  text: z.string().nullable(),
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
});

export const ListedMessageSchema = z.object({
  direction: z.enum(['outbound', 'inbound']),
  id: z.string().openapi({ description: 'Row id (uuid for outbound, number as text for inbound)' }),
  session_id: z.uuid(),
  contact: z.string().nullable().openapi({ description: 'The other party: recipient (outbound) or sender phone / chat (inbound)' }),
  text: z.string().nullable(),
  type: z.string().openapi({ description: 'text, or the WhatsApp message type of an inbound message' }),
  status: z.string().openapi({ description: 'Outbound delivery status, or `received`' }),
  from_me: z.boolean(),
  push_name: z.string().nullable(),
  wa_message_id: z.string(),
  error: z.string().nullable(),
  timestamp: Timestamp,
}).openapi('ListedMessage');

export const MessagePageSchema = z.object({
  messages: z.array(ListedMessageSchema),
  next_cursor: z.string().nullable(),
}).openapi('MessagePage');

export type OutboundView = z.infer<typeof OutboundMessageSchema>;
export type ListedMessageView = z.infer<typeof ListedMessageSchema>;
