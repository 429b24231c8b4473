import { z } from '@hono/zod-openapi';
import { NullableTimestamp } from './common.ts';

export const ListConversationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50)
    .openapi({ param: { name: 'limit', in: 'query' }, example: 50, description: 'Conversations per page, 1–200' }),
  cursor: z.string().min(1).max(500).optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: 'next_cursor of the previous page' }),
  session_id: z.uuid().optional()
    .openapi({ param: { name: 'session_id', in: 'query' }, description: 'Only this session (default: all of the user\'s sessions)' }),
});

export const ConversationSchema = z.object({
  contact_id: z.uuid(),
  session_id: z.uuid(),
  phone_number: z.string().nullable().openapi({ description: 'E.164, or null when the contact does not share it', example: '+14155552671' }),
  number_hidden: z.boolean().openapi({ description: 'true when the phone number is not known: show `display_name` and "number hidden"' }),
  display_name: z.string().nullable().openapi({ description: 'Saved name, else the contact\'s WhatsApp name', example: 'Ana' }),
  last_message: z.object({
    text: z.string().nullable(),
    type: z.string().nullable().openapi({ description: 'WhatsApp message type (`conversation`, `imageMessage`, `placeholder`…) or the outbound content type' }),
    from_me: z.boolean().nullable(),
    pending: z.boolean().nullable().openapi({ description: 'an ad lead\'s placeholder still waiting for its content' }),
    at: NullableTimestamp,
  }),
  unread_count: z.number().int().openapi({ description: 'The contact\'s messages after our last message (nobody answered them yet)' }),
  last_activity_at: NullableTimestamp,
}).openapi('Conversation');

export const ConversationListSchema = z.object({
  conversations: z.array(ConversationSchema),
  next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }),
}).openapi('ConversationList');

export type ConversationView = z.infer<typeof ConversationSchema>;
