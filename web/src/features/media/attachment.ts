// Sending a file from the browser: upload it to the user's own folder of the private media bucket
// (`<user_id>/<session_id>/<uuid>.<ext>`, CONTRACTS), then queue the outbound row that points at it.
// The database checks the object again (check_outbound_media: exists, own folder, size and type per
// WhatsApp's rules); a refused row leaves no object behind.
import type { AppSupabase } from '../../lib/supabase.ts';
import type { OutboundMessage } from '../../lib/types.ts';
import { MEDIA_BUCKET, type MediaKind, type MediaRule } from './media-types.ts';
import { videoThumbnail } from './video-thumbnail.ts';

/** Why a file cannot be sent; each code has its own message (media.error.* in i18n). */
export type AttachmentErrorCode =
  | 'media_type_not_accepted' | 'media_too_large' | 'media_empty' | 'media_not_found' | 'media_not_yours'
  | 'caption_not_allowed' | 'session_cannot_send' | 'upload_failed' | 'queue_failed';

export class AttachmentError extends Error {
  constructor(readonly code: AttachmentErrorCode, message: string) {
    super(message);
    this.name = 'AttachmentError';
  }
}

/** The kinds a chosen file may be sent as, in order of preference (voice only when asked for). */
const KIND_PREFERENCE: MediaKind[] = ['image', 'video', 'audio', 'document', 'sticker'];
/** WhatsApp shows no caption under these. */
const NO_CAPTION: MediaKind[] = ['audio', 'voice', 'sticker'];

let rules: Promise<MediaRule[]> | null = null;

/** WhatsApp's accepted types and sizes (public.whatsapp_media_rules), read once. */
export function loadMediaRules(supabase: AppSupabase): Promise<MediaRule[]> {
  rules ??= (async () => {
    const { data, error } = await supabase.from('whatsapp_media_rules').select('*');
    if (error) throw error;
    return data;
  })();
  rules.catch(() => { rules = null; });
  return rules;
}

export const baseMimeType = (type: string): string => type.split(';')[0]!.trim().toLowerCase();

/** The rule a file is sent under, or why it cannot be sent (checked again by the database). */
export function ruleFor(all: MediaRule[], file: { type: string; size: number }, asVoiceNote: boolean): MediaRule | AttachmentError {
  const mime = baseMimeType(file.type);
  const kinds = asVoiceNote ? ['voice' as const, ...KIND_PREFERENCE] : KIND_PREFERENCE;
  const rule = kinds.map((kind) => all.find((r) => r.kind === kind && r.mime_type === mime)).find((r) => r !== undefined);
  if (!rule) return new AttachmentError('media_type_not_accepted', `WhatsApp does not take ${mime || 'files without a type'}`);
  if (file.size === 0) return new AttachmentError('media_empty', 'The file is empty');
  if (file.size > rule.max_bytes) return new AttachmentError('media_too_large', `WhatsApp takes at most ${rule.max_bytes} bytes for ${rule.kind}`);
  return rule;
}

export function canHaveCaption(kind: MediaKind): boolean {
  return !NO_CAPTION.includes(kind);
}

export interface AttachmentRequest {
  sessionId: string;
  to: string;
  caption: string;
  file: File;
  rule: MediaRule;
}

export async function sendAttachment(supabase: AppSupabase, request: AttachmentRequest): Promise<OutboundMessage> {
  const { file, rule } = request;
  const caption = request.caption.trim();
  if (caption && !canHaveCaption(rule.kind)) throw new AttachmentError('caption_not_allowed', `A ${rule.kind} cannot have a caption`);
  const { data: auth } = await supabase.auth.getSession();
  const userId = auth.session?.user.id;
  if (!userId) throw new AttachmentError('upload_failed', 'Not signed in');

  const path = `${userId}/${request.sessionId}/${crypto.randomUUID()}.${rule.extension}`;
  const bucket = supabase.storage.from(MEDIA_BUCKET);
  const uploaded = await bucket.upload(path, file, { contentType: rule.mime_type, upsert: false });
  if (uploaded.error) throw fromStorage(uploaded.error);
  const thumbnail = rule.kind === 'video' ? await videoThumbnail(file) : null;

  const { data, error } = await supabase
    .from('outbound_messages')
    .insert({
      session_id: request.sessionId,
      recipient: request.to.trim(),
      content_type: rule.kind,
      text: caption || null,
      media_path: path,
      media_file_name: rule.kind === 'document' ? documentName(file.name, rule.extension) : null,
      idempotency_key: crypto.randomUUID(),
      ...(thumbnail ? { media_thumbnail: thumbnail } : {}),
    })
    .select('*')
    .single();
  if (error) {
    await bucket.remove([path]);
    throw fromDatabase(error);
  }
  return data as unknown as OutboundMessage;
}

/** A file name WhatsApp shows under a document: no path separators or control characters, 255 at most. */
export function documentName(name: string, extension: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[/\\\u0000-\u001f\u007f]/g, '_').trim().slice(0, 255);
  return cleaned || `document.${extension}`;
}

function fromStorage(error: Error & { statusCode?: string }): AttachmentError {
  if (error.statusCode === '413') return new AttachmentError('media_too_large', error.message);
  if (error.statusCode === '415') return new AttachmentError('media_type_not_accepted', error.message);
  return new AttachmentError('upload_failed', error.message);
}

const DATABASE_CODES: Record<string, AttachmentErrorCode> = {
  WL403: 'media_not_yours',
  WL404: 'media_not_found',
  WL409: 'session_cannot_send',
  WL411: 'media_empty',
  WL413: 'media_too_large',
  WL415: 'media_type_not_accepted',
};

function fromDatabase(error: { code?: string; message: string }): AttachmentError {
  return new AttachmentError(DATABASE_CODES[error.code ?? ''] ?? 'queue_failed', error.message);
}
