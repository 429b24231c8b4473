// /messages: queue a text or media message (idempotent), and list recent outbound and inbound messages.
import { createRoute } from '@hono/zod-openapi';
import { ApiError } from '../../_shared/api-error.ts';
import { baseMimeType, bytesMatchType } from '../../_shared/media-type.ts';
import { normalizePhoneNumber } from '../../_shared/phone.ts';
import { bodyErrors, commonErrors, errorResponse, rateLimitError } from '../schemas/common.ts';
import {
  ListMessagesQuery,
  MessagePageSchema,
  OutboundMessageSchema,
  SendMessageHeaders,
  SendMessageSchema,
} from '../schemas/message.ts';
import { contactsByIds } from '../store/contacts.ts';
import { decodeCursor, encodeCursor } from '../store/cursor.ts';
import { jpegOfDataUrl, MEDIA_URL_SECONDS, ThumbnailParams } from '../schemas/media.ts';
import { findThumbnail, MEDIA_BUCKET, signMediaUrls, sniffObject } from '../store/media.ts';
import { insertOutbound, listMessages, type OutboundRow, reactionsOf } from '../store/messages.ts';
import { findActiveSession, findSession, isActiveStatus } from '../store/sessions.ts';
import { type App, bearerSecurity, type RouteDeps } from './deps.ts';
import { concurrentRequest, earlierRequest, requestKey } from './idempotency.ts';
import { bytesOfBytea, signablePaths, ThumbnailBudget } from './media-view.ts';
import { toListedView, toOutboundView } from './views.ts';

interface Requested {
  sessionId: string | undefined;
  /** the phone (E.164), or null when addressed by contact_id */
  to: string | null;
  contact_id: string | null;
  content_type: OutboundRow['content_type'];
  text: string | null;
  media_path: string | null;
  media_file_name: string | null;
  quoted_wa_message_id: string | null;
}

/** A stored message is a replay of a request when everything the caller asked for matches. */
function isSameRequest(row: OutboundRow, req: Requested): boolean {
  const sameParty = req.contact_id !== null ? row.contact_id === req.contact_id : row.recipient === req.to;
  return sameParty && row.content_type === req.content_type && row.text === req.text
    && row.media_path === req.media_path && row.media_file_name === req.media_file_name
    && row.quoted_wa_message_id === req.quoted_wa_message_id
    && (req.sessionId === undefined || row.session_id === req.sessionId);
}

/**
 * A file whose bytes are not what it was uploaded as (an executable named .pdf: the browser declares the type
 * from the name) is refused before anything is queued. A missing, someone else's or empty object is left to
 * the insert trigger, which names the refusal (media_not_found, media_not_yours, media_empty).
 */
async function refuseDisguisedFile(deps: RouteDeps, authorization: string, path: string): Promise<void> {
  if (path.split('/')[0] === MEDIA_BUCKET) {
    throw new ApiError(400, 'media_path_invalid', `media_path is the object's path inside the ${MEDIA_BUCKET} bucket, ` +
      `without the bucket's name: "${path.slice(MEDIA_BUCKET.length + 1)}"`);
  }
  const found = await sniffObject(deps.config, authorization, path);
  if (found && !bytesMatchType(found.sniffed, found.declared)) {
    throw new ApiError(415, 'media_type_mismatch',
      `The file's content is ${found.sniffed ?? 'not a known media type'}, not the ${baseMimeType(found.declared)} it was uploaded as`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** bytea as PostgREST takes it */
const byteaOf = (bytes: Uint8Array) => `\\x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;

export function registerMessageRoutes(app: App, deps: RouteDeps): void {
  const { config } = deps;
  const guard = [deps.requireUser, deps.limitMessages];

  app.openapi(
    createRoute({
      method: 'post',
      path: '/messages',
      tags: ['Messages'],
      summary: 'Queue a text or media message',
      description: 'Queues a WhatsApp message on the user\'s active session (or `session_id`): text, or an image, video, audio, ' +
        'voice note, document or sticker the user first uploaded to the private Storage bucket `whatsapp-media` under ' +
        '`<user_id>/` (supabase-js `storage.from(\'whatsapp-media\').upload(...)`), with an optional caption (`text`) and quoted ' +
        'message. The file is checked before anything is queued: it must exist, be the caller\'s, not be empty, be a type and ' +
        'size WhatsApp takes for that kind (GET the rules from the `whatsapp_media_rules` table) and its bytes must be what it ' +
        'was uploaded as. An image, video or document may carry `media_thumbnail`, the JPEG preview the contact\'s phone shows ' +
        'until the file is downloaded. The connector sends it; ' +
        'follow its `status` (queued → sending → sent → delivered → read, or failed) through Realtime or GET /messages. ' +
        'With an idempotency key (body `idempotency_key` or header `Idempotency-Key`) a retry returns the first message ' +
        '(header `Idempotent-Replayed: true`) and nothing is sent twice.',
      security: bearerSecurity,
      middleware: guard,
      request: {
        headers: SendMessageHeaders,
        body: {
          content: {
            'application/json': {
              schema: SendMessageSchema,
              examples: {
                text: { value: { to: '+14155552671', text: 'Hello from the CRM', idempotency_key: 'order-1234-confirmation' } },
                document: { value: { to: '+14155552671', content_type: 'document', media_path: '<user_id>/outbox/quote.pdf', media_file_name: 'Quote 2026.pdf', text: 'Your quote' } },
                voice: { value: { to: '+14155552671', content_type: 'voice', media_path: '<user_id>/outbox/note.ogg' } },
              },
            },
          },
          required: true,
        },
      },
      responses: {
        202: { content: { 'application/json': { schema: OutboundMessageSchema } }, description: 'The queued message (or, for a replayed idempotency key, the first one)' },
        ...commonErrors,
        ...bodyErrors,
        400: errorResponse('`validation_failed` (also: a `media_thumbnail` that is not a JPEG data URL of at most 64 KiB), `unknown_field`, ' +
          '`invalid_json`, `invalid_phone_number`, `idempotency_key_mismatch`, `media_empty`: the file has no bytes, or ' +
          '`media_path_invalid`: the path starts with the bucket\'s name (give the path inside `whatsapp-media`)'),
        403: errorResponse('`media_not_yours`: `media_path` is not in the caller\'s own folder (`<user_id>/...`)'),
        404: errorResponse('`session_not_found`: `session_id` is not one of the caller\'s sessions; `contact_not_found`: `contact_id` is ' +
          'not a contact of that session (or not the caller\'s); `media_not_found`: no such object in `whatsapp-media`; ' +
          '`quoted_not_found`: `quoted_wa_message_id` is not a message of this session'),
        409: errorResponse('`no_active_session`, `session_cannot_send` (e.g. logged out) or `idempotency_conflict`'),
        413: errorResponse('`payload_too_large`: the request body; `media_too_large`: the file is larger than WhatsApp takes for its kind'),
        415: errorResponse('`unsupported_media_type`: the request body is not JSON; `media_type_not_accepted`: WhatsApp does not take this ' +
          'file type for that kind; `media_type_mismatch`: the bytes are not the type the file was uploaded as (e.g. an executable named .pdf)'),
        503: errorResponse('`storage_unavailable`: the file could not be checked, try again'),
        ...rateLimitError,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const key = requestKey(c.req.valid('header')['idempotency-key'], body.idempotency_key);
      const to = body.to === undefined ? null : normalizePhoneNumber(body.to, config.defaultCountry);
      if (body.to !== undefined && !to) {
        throw new ApiError(400, 'invalid_phone_number', `to: "${body.to}" is not a valid phone number (use E.164, like +14155552671)`);
      }
      const requested: Requested = {
        sessionId: body.session_id, to, contact_id: body.contact_id ?? null, content_type: body.content_type, text: body.text ?? null, media_path: body.media_path ?? null,
        media_file_name: body.media_file_name ?? null, quoted_wa_message_id: body.quoted_wa_message_id ?? null,
      };
      const db = c.get('db');
      const userId = c.get('user').id;
      const same = (row: OutboundRow) => isSameRequest(row, requested);
      const earlier = await earlierRequest(c, key, same);
      if (earlier) return c.json(toOutboundView(earlier), 202);
      const session = body.session_id ? await findSession(db, body.session_id) : await findActiveSession(db, userId);
      if (!session) {
        throw body.session_id
          ? new ApiError(404, 'session_not_found', 'No such session')
          : new ApiError(409, 'no_active_session', 'No active WhatsApp session: link WhatsApp first (POST /sessions)');
      }
      if (!isActiveStatus(session.status)) {
        throw new ApiError(409, 'session_cannot_send', `The session is ${session.status} and cannot send: link WhatsApp again`);
      }
      if (requested.media_path !== null) await refuseDisguisedFile(deps, c.req.header('Authorization')!, requested.media_path);
      const { sessionId: _, to: recipient, ...content } = requested;
      const thumbnail = body.media_thumbnail ? jpegOfDataUrl(body.media_thumbnail) : null;
      const result = await insertOutbound(db, {
        session_id: session.id, user_id: userId, recipient, ...content, idempotency_key: key, media_thumbnail: thumbnail ? byteaOf(thumbnail) : null,
      });
      // A concurrent request with the same key won the insert: answer with its row.
      if ('duplicateKey' in result) return c.json(toOutboundView(await concurrentRequest(c, key!, same)), 202);
      return c.json(toOutboundView(result.inserted), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/messages',
      tags: ['Messages'],
      summary: 'Recent messages, outbound and inbound, newest first',
      description: 'One merged, newest-first list of what the user sent and received. Pass `next_cursor` back as `cursor` ' +
        'for the next page; it is null on the last page. A media message carries `media`: kind, type, size, file name, ' +
        'duration / dimensions, a voice note\'s waveform, its Storage path and a signed URL (10 minutes), and its preview as a ' +
        'data URL (at most 256 KiB of previews per page; the rest: GET /messages/{direction}/{id}/thumbnail). Each item carries ' +
        'its timeline: `pending` (an ad lead\'s placeholder still waiting for its content), `edited_at` and `previous_texts` ' +
        '(the texts before each edit), `deleted_at` (deleted for everyone), `imported` (history sent on link) and `reactions`. ' +
        'With `contact_id`, only one chat: the messages with that contact (the `contact_id` of GET /conversations).',
      security: bearerSecurity,
      middleware: guard,
      request: { query: ListMessagesQuery },
      responses: {
        200: { content: { 'application/json': { schema: MessagePageSchema } }, description: 'A page of messages' },
        404: errorResponse('`session_not_found`: `session_id` is not one of the caller\'s sessions; `contact_not_found`: `contact_id` ' +
          'is not one of the caller\'s contacts (or not of `session_id`)'),
        ...commonErrors,
        400: errorResponse('`validation_failed` (e.g. `limit` not 1–100, or a `session_id` / `contact_id` that is not a uuid) or ' +
          '`invalid_cursor`: `cursor` is not a `next_cursor` this API returned'),
        ...rateLimitError,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
      const db = c.get('db');
      if (query.session_id && !(await findSession(db, query.session_id))) {
        throw new ApiError(404, 'session_not_found', 'No such session');
      }
      if (query.contact_id) {
        const contact = (await contactsByIds(db, [query.contact_id])).get(query.contact_id);
        if (!contact || (query.session_id && contact.session_id !== query.session_id)) {
          throw new ApiError(404, 'contact_not_found', 'No such contact');
        }
      }
      const filter = { userId: c.get('user').id, sessionId: query.session_id, contactId: query.contact_id };
      const { items, hasMore } = await listMessages(db, filter, cursor, query.limit);
      const last = items.at(-1);
      const [contacts, reactions, signed] = await Promise.all([
        contactsByIds(db, items.flatMap((item) => (item.row.contact_id ? [item.row.contact_id] : []))),
        reactionsOf(db, items),
        signMediaUrls(db, signablePaths(items), MEDIA_URL_SECONDS, c.get('logger')),
      ]);
      const ctx = { contacts, reactions, signed, budget: new ThumbnailBudget() };
      return c.json({ messages: items.map((item) => toListedView(item, ctx)), next_cursor: hasMore && last ? encodeCursor(last) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/messages/{direction}/{id}/thumbnail',
      tags: ['Messages'],
      summary: 'The preview of a media message',
      description: 'The JPEG preview of an image, video or document message (`direction` and `id` of a GET /messages item): for the ' +
        'items of a page whose `media.thumbnail` is null while `media.has_thumbnail` is true (the page\'s preview budget was spent).',
      security: bearerSecurity,
      middleware: guard,
      request: { params: ThumbnailParams },
      responses: {
        200: { content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } }, description: 'The JPEG' },
        404: errorResponse('`message_not_found`: no such message of the caller; `thumbnail_not_found`: the message has no preview'),
        ...commonErrors,
        ...rateLimitError,
      },
    }),
    async (c) => {
      const { direction, id } = c.req.valid('param');
      const validId = direction === 'inbound' ? /^[1-9][0-9]{0,18}$/.test(id) : UUID.test(id);
      const found = validId ? await findThumbnail(c.get('db'), direction, id) : undefined;
      if (found === undefined) throw new ApiError(404, 'message_not_found', 'No such message');
      const jpeg = bytesOfBytea(found);
      if (!jpeg) throw new ApiError(404, 'thumbnail_not_found', 'This message has no preview');
      return c.body(jpeg, 200, { 'Content-Type': 'image/jpeg', 'Cache-Control': 'private, max-age=3600' });
    },
  );
}
