// Rep actions on an earlier message (react, edit, delete for everyone, mark read, reply quoting it): each queues
// an outbound_messages row the connector sends (migrations 20261207004300, 004400); refusals come from its
// insert trigger with a stable code.
import { z } from '@hono/zod-openapi';
import { Constants } from '../../_shared/database.types.ts';
import { REP_ACTION_TYPES } from '../../_shared/rep-actions.ts';
import { NullableTimestamp, Timestamp } from './common.ts';
import { IdempotencyKey, isStorable, MAX_TEXT_CHARS, messageTextProblem } from './message.ts';

const SessionChoice = z.uuid().optional().openapi({ description: 'The session the message belongs to (default: the user\'s active session)' });

export const WaMessageParams = z.object({
  wa_message_id: z.string().min(1).max(128).refine(isStorable, 'wa_message_id must not contain NUL characters')
    .openapi({ param: { name: 'wa_message_id', in: 'path' }, description: 'The message\'s WhatsApp id (`wa_message_id` in GET /messages)', example: '3EB0A1B2C3D4E5F6A7B8C9' }),
});

export const ContactParams = z.object({
  contact_id: z.uuid().openapi({ param: { name: 'contact_id', in: 'path' }, description: 'The `contact_id` of GET /conversations' }),
});

export const SessionQuery = z.object({
  session_id: SessionChoice.openapi({ param: { name: 'session_id', in: 'query' } }),
});

export const ActionHeaders = z.object({
  'idempotency-key': IdempotencyKey.optional().openapi({
    param: { name: 'idempotency-key', in: 'header' },
    description: 'A retry with the same key returns the first queued row (header `Idempotent-Replayed: true`) and queues nothing twice; ' +
      'the key is shared with POST /messages (unique per user): the same key for another request is 409 `idempotency_conflict`',
  }),
});

export const ActionBody = z.object({ session_id: SessionChoice }).strict().openapi('RepActionRequest');

export const ReactBody = z.object({
  session_id: SessionChoice,
  emoji: z.string().min(1).max(16).openapi({ description: 'One emoji (a flag or a family counts as one); it replaces our earlier reaction', example: '👍' }),
}).strict().openapi('ReactRequest');

const textField = (what: string) => z.string().openapi({ description: `${what} (up to ${MAX_TEXT_CHARS} characters)`, example: 'Price: 12 €' });
const checkText = (body: { text: string }, ctx: z.RefinementCtx) =>
  messageTextProblem(body.text, MAX_TEXT_CHARS, (message) => ctx.addIssue({ code: 'custom', path: ['text'], message }));

export const EditBody = z.object({ session_id: SessionChoice, text: textField('The new text') })
  .strict().superRefine(checkText).openapi('EditRequest');

export const ReplyBody = z.object({ session_id: SessionChoice, text: textField('The reply, sent quoting the message') })
  .strict().superRefine(checkText).openapi('ReplyRequest');

export const RepActionSchema = z.object({
  id: z.uuid(),
  session_id: z.uuid(),
  action: z.enum(REP_ACTION_TYPES).openapi({ description: '`reaction` (text = the emoji, \'\' = removed), `edit`, `revoke` (delete for everyone), `read`' }),
  target_wa_message_id: z.string().openapi({ description: 'The message acted on' }),
  text: z.string().nullable(),
  status: z.enum(Constants.public.Enums.outbound_status).openapi({ description: 'queued → sending → sent (it reached WhatsApp), or failed' }),
  wa_message_id: z.string(),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
  created_at: Timestamp,
  sent_at: NullableTimestamp,
}).openapi('RepAction');

export const ConversationReadSchema = z.object({
  action: RepActionSchema.nullable().openapi({ description: 'The queued read receipt; null when nothing was unread' }),
}).openapi('ConversationRead');

export type RepActionView = z.infer<typeof RepActionSchema>;
