// The one place an outbound_messages row becomes Baileys message content (CONTRACTS.md): text, or media read
// as a stream from the user's object in the whatsapp-media bucket (Baileys encrypts it to a temporary file and
// uploads it; nothing is held whole in memory). The insert trigger already checked the object's declared
// type and size against WhatsApp's rules; here the bytes are sniffed (_shared/media-type.ts, the rule POST /messages
// applies too), so a file whose content is not what its
// type says (an executable uploaded as application/pdf) is refused instead of sent.
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { AnyMessageContent, MiscMessageGenerationOptions, WAMessage } from '@whiskeysockets/baileys';
import { fileTypeStream } from 'file-type';
import { bytesMatchType, SNIFF_BYTES } from '../../supabase/functions/_shared/media-type.ts';
import { voiceNoteFacts, type MediaStorage } from '../media/index.ts';
import type { RepActionType } from '../../supabase/functions/_shared/rep-actions.ts';
import { isRepAction, type OutboundRow } from '../store/index.ts';

export type ContentResult =
  | { ok: true; content: AnyMessageContent; options: MiscMessageGenerationOptions; close(): void }
  /** final: the row fails with `code`; otherwise it is retried */
  | { ok: false; final: boolean; code: string; reason: string };

export interface ContentDeps {
  /** null: MEDIA=disabled */
  storage: MediaStorage | null;
  /** the quoted message as stored (inbound or our own outbound), or null when this session has no such id */
  findQuoted(sessionId: string, waMessageId: string): Promise<{ fromMe: boolean; text: string | null } | null>;
}

async function quotedMessage(deps: ContentDeps, row: OutboundRow, recipientJid: string): Promise<WAMessage | undefined> {
  if (!row.quoted_wa_message_id) return undefined;
  const found = await deps.findQuoted(row.session_id, row.quoted_wa_message_id);
  if (!found) return undefined; // the insert trigger refuses a quote of an unknown id (quoted_not_found): gone since
  return {
    key: { remoteJid: recipientJid, fromMe: found.fromMe, id: row.quoted_wa_message_id },
    message: { conversation: found.text ?? '' },
  };
}

/**
 * A rep's action on an earlier message (the insert trigger check_outbound_action already refused a missing
 * target, someone else's message and WhatsApp's windows): Baileys rc14 `react` (reactionMessage; '' removes
 * ours), `edit` (protocolMessage MESSAGE_EDIT, stanza edit="1") and `delete` (protocolMessage REVOKE, edit="7"),
 * each keyed by the target as WhatsApp knows it: this chat, whose side sent it, its id.
 */
async function actionContent(deps: ContentDeps, row: OutboundRow, recipientJid: string): Promise<ContentResult> {
  if (row.content_type === 'read') return { ok: false, final: true, code: 'not_a_message', reason: 'A read receipt is sent by read-receipt.ts' };
  const target = await deps.findQuoted(row.session_id, row.target_wa_message_id!);
  if (!target) return { ok: false, final: true, code: 'target_not_found', reason: `No message ${row.target_wa_message_id} in this session` };
  const key = { remoteJid: recipientJid, fromMe: target.fromMe, id: row.target_wa_message_id! };
  const options: MiscMessageGenerationOptions = { messageId: row.wa_message_id };
  const content: AnyMessageContent = row.content_type === 'reaction' ? { react: { text: row.text ?? '', key } }
    : row.content_type === 'edit' ? { text: row.text ?? '', edit: key }
      : { delete: key };
  return { ok: true, content, options, close() {} };
}

export async function contentForRow(deps: ContentDeps, row: OutboundRow, recipientJid: string): Promise<ContentResult> {
  if (isRepAction(row)) return actionContent(deps, row, recipientJid);
  const quoted = await quotedMessage(deps, row, recipientJid);
  const options: MiscMessageGenerationOptions = { messageId: row.wa_message_id, ...(quoted ? { quoted } : {}) };
  if (row.content_type === 'text') return { ok: true, content: { text: row.text ?? '' }, options, close() {} };
  if (!deps.storage) return { ok: false, final: true, code: 'media_disabled', reason: 'This connector does not send media (MEDIA=disabled)' };
  if (!row.media_path || !row.media_mime_type) {
    return { ok: false, final: true, code: 'media_missing', reason: 'The row names no media object' };
  }
  let body: Readable | null;
  try {
    body = await deps.storage.open(row.media_path);
  } catch (error) {
    return { ok: false, final: false, code: 'storage_unavailable', reason: (error as Error).message };
  }
  if (!body) return { ok: false, final: true, code: 'media_missing', reason: `The file ${row.media_path} is no longer in Storage` };
  const stream = await fileTypeStream(body, { sampleSize: SNIFF_BYTES });
  const sniffed = stream.fileType?.mime;
  const close = () => stream.destroy();
  if (!bytesMatchType(sniffed, row.media_mime_type)) {
    close();
    return {
      ok: false, final: true, code: 'media_type_mismatch',
      reason: `The file's content is ${sniffed ?? 'not a known media type'}, not the ${row.media_mime_type} it was uploaded as`,
    };
  }
  const mimetype = row.media_mime_type;
  const caption = row.text ?? undefined;
  const media = { stream };
  // read from two further streams of the object (bounded decode, media/waveform.ts); rc14 would send no waveform
  const voice = row.content_type === 'voice' ? await voiceNoteFacts(() => deps.storage!.open(row.media_path!)) : null;
  // `waveform` is not in rc14's AnyMediaMessageContent type, but prepareWAMessageMedia spreads the content into the
  // AudioMessage and computes one only when it is undefined (Utils/messages.js requiresWaveformProcessing)
  const voiceFacts = voice ? { seconds: voice.seconds, ...(voice.waveform ? { waveform: voice.waveform } : {}) } : {};
  // the preview queued with the row (the web app draws a video's first frame); without one rc14 makes a photo's
  // itself (sharp) and tries an ffmpeg binary for a video, which fails here: the video goes without, as WhatsApp takes
  const preview = row.media_thumbnail ? { jpegThumbnail: row.media_thumbnail.toString('base64') } : {};
  const content: AnyMessageContent = (() => {
    switch (row.content_type as Exclude<OutboundRow['content_type'], 'text' | RepActionType>) {
      case 'image': return { image: media, mimetype, caption, ...preview };
      case 'video': return { video: media, mimetype, caption, ...preview };
      case 'audio': return { audio: media, mimetype, ptt: false };
      case 'voice': return { audio: media, mimetype: 'audio/ogg; codecs=opus', ptt: true, ...voiceFacts };
      case 'sticker': return { sticker: media, mimetype };
      case 'document': return { document: media, mimetype, fileName: row.media_file_name ?? basename(row.media_path!), caption, ...preview };
    }
  })();
  return { ok: true, content, options, close };
}

/**
 * Whether what Baileys sent for a row must be kept for a resend (outbound_sent_content): a text can be rebuilt
 * from the row, a media message (media key, hashes, CDN path) or a quote's context cannot.
 */
export const keepsSentContent = (row: OutboundRow) => row.content_type !== 'text' || row.quoted_wa_message_id !== null;

