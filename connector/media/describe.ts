// What an inbound media message is: kind, MIME type, size, duration / dimensions, file name, and the facts
// needed to download it (media_source). Field names are WAProto's (rc14 WAProto ImageMessage, VideoMessage,
// AudioMessage, DocumentMessage, StickerMessage).
import { normalizeMessageContent, type proto, type WAMessage } from '@whiskeysockets/baileys';
import type { Database } from '../../supabase/functions/_shared/database.types.ts';

export type MediaKind = Database['public']['Enums']['media_kind'];
/** The message field that carries the file (Baileys derives the media keys' HKDF info from it). */
export type MediaField = 'imageMessage' | 'videoMessage' | 'ptvMessage' | 'audioMessage' | 'documentMessage' | 'stickerMessage';

/** What the connector needs to download and check a file (stored as inbound_messages.media_source). */
export interface MediaSource {
  directPath: string | null;
  url: string | null;
  /** base64 */
  mediaKey: string;
  fileSha256: string | null;
  fileEncSha256: string | null;
  fileLength: number | null;
  field: MediaField;
  mimetype: string | null;
  /** the message key as WhatsApp addressed it: a media-retry request names it (rc14 encryptMediaRetryRequest) */
  key: { remoteJid: string; fromMe: boolean; id: string; participant?: string };
}

export interface MediaFacts {
  kind: MediaKind;
  mimeType: string | null;
  sizeBytes: number | null;
  durationSeconds: number | null;
  width: number | null;
  height: number | null;
  fileName: string | null;
  source: MediaSource | null;
  /** the JPEG preview the message carries (images, video, documents), when it is one and at most THUMBNAIL_MAX_BYTES */
  thumbnail: Buffer | null;
  /** a voice note's (or audio's) waveform as the sender's phone drew it (AudioMessage.waveform), when it is sane */
  waveform: Buffer | null;
}

/** inbound_messages.media_thumbnail's bound (migration 20261207003200) */
export const THUMBNAIL_MAX_BYTES = 65_536;

/** A preview worth keeping: JPEG (FF D8 FF) and small; anything else is left in `raw` only. */
export function jpegThumbnailOf(bytes: Uint8Array | null | undefined): Buffer | null {
  if (!bytes || bytes.length < 4 || bytes.length > THUMBNAIL_MAX_BYTES) return null;
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff ? Buffer.from(bytes) : null;
}

/** inbound_messages.media_waveform's bound (migration 20261207003400); WhatsApp sends 64 bars */
export const WAVEFORM_MAX_BARS = 256;

/** A waveform worth keeping: 1..WAVEFORM_MAX_BARS bars, each 0-100 as WhatsApp draws them; anything else stays in `raw`. */
export function waveformOf(bytes: Uint8Array | null | undefined): Buffer | null {
  if (!bytes || bytes.length === 0 || bytes.length > WAVEFORM_MAX_BARS) return null;
  return bytes.every((bar) => bar <= 100) ? Buffer.from(bytes) : null;
}

type AnyMedia = proto.Message.IImageMessage & proto.Message.IVideoMessage & proto.Message.IAudioMessage
  & proto.Message.IDocumentMessage & proto.Message.IStickerMessage;

const num = (v: unknown): number | null => {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'object' && 'toNumber' in (v as object) ? (v as { toNumber(): number }).toNumber() : Number(v);
  return Number.isFinite(n) ? n : null;
};
const b64 = (v: Uint8Array | null | undefined) => (v && v.length ? Buffer.from(v).toString('base64') : null);

function partOf(content: proto.IMessage): { kind: MediaKind; media: AnyMedia; field: MediaField } | null {
  if (content.imageMessage) return { kind: 'image', media: content.imageMessage as AnyMedia, field: 'imageMessage' };
  if (content.videoMessage) return { kind: 'video', media: content.videoMessage as AnyMedia, field: 'videoMessage' };
  if (content.ptvMessage) return { kind: 'video', media: content.ptvMessage as AnyMedia, field: 'ptvMessage' };
  if (content.audioMessage) return { kind: content.audioMessage.ptt ? 'voice' : 'audio', media: content.audioMessage as AnyMedia, field: 'audioMessage' };
  if (content.documentMessage) return { kind: 'document', media: content.documentMessage as AnyMedia, field: 'documentMessage' };
  if (content.stickerMessage) return { kind: 'sticker', media: content.stickerMessage as AnyMedia, field: 'stickerMessage' };
  return null;
}

/** The media facts of a message, or null when it carries no media. */
export function describeMedia(msg: WAMessage): MediaFacts | null {
  const content = normalizeMessageContent(msg.message);
  const part = content ? partOf(content) : null;
  if (!part) return null;
  const m = part.media;
  const key = msg.key;
  const mediaKey = b64(m.mediaKey);
  const source: MediaSource | null = mediaKey && (m.directPath || m.url) && key.id && key.remoteJid
    ? {
        directPath: m.directPath ?? null,
        url: m.url ?? null,
        mediaKey,
        fileSha256: b64(m.fileSha256),
        fileEncSha256: b64(m.fileEncSha256),
        fileLength: num(m.fileLength),
        field: part.field,
        mimetype: m.mimetype ?? null,
        key: { remoteJid: key.remoteJid, fromMe: Boolean(key.fromMe), id: key.id, ...(key.participant ? { participant: key.participant } : {}) },
      }
    : null;
  return {
    kind: part.kind,
    mimeType: m.mimetype ?? null,
    sizeBytes: num(m.fileLength),
    durationSeconds: part.kind === 'audio' || part.kind === 'voice' || part.kind === 'video' ? num(m.seconds) : null,
    width: part.kind === 'image' || part.kind === 'video' || part.kind === 'sticker' ? num(m.width) : null,
    height: part.kind === 'image' || part.kind === 'video' || part.kind === 'sticker' ? num(m.height) : null,
    fileName: part.kind === 'document' ? (m.fileName ?? null) : null,
    source,
    thumbnail: part.kind === 'image' || part.kind === 'video' || part.kind === 'document' ? jpegThumbnailOf(m.jpegThumbnail) : null,
    waveform: part.kind === 'voice' || part.kind === 'audio' ? waveformOf(m.waveform) : null,
  };
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'image/heic': 'heic',
  'video/mp4': 'mp4', 'video/3gpp': '3gp', 'video/quicktime': 'mov', 'audio/ogg': 'ogg', 'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a', 'audio/aac': 'aac', 'audio/amr': 'amr', 'application/pdf': 'pdf', 'text/plain': 'txt',
  'text/csv': 'csv', 'application/zip': 'zip', 'application/msword': 'doc', 'application/vnd.ms-excel': 'xls',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};
const FALLBACK: Record<MediaKind, string> = { image: 'jpg', video: 'mp4', audio: 'mp3', voice: 'ogg', document: 'bin', sticker: 'webp' };

/**
 * The object name's extension: from the MIME type, else the one MIME sniffing found, else a document's own
 * (safe) extension, else the kind's.
 */
export function extensionFor(kind: MediaKind, mimeType: string | null, fileName: string | null, sniffedExt?: string): string {
  const base = mimeType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (EXTENSIONS[base]) return EXTENSIONS[base]!;
  if (sniffedExt && /^[a-z0-9]{1,10}$/.test(sniffedExt)) return sniffedExt;
  const own = fileName?.match(/\.([A-Za-z0-9]{1,10})$/)?.[1]?.toLowerCase();
  return kind === 'document' && own ? own : FALLBACK[kind];
}

/** `<user_id>/<session_id>/<wa_message_id>.<ext>` (CONTRACTS.md); message ids are [0-9A-Za-z] in practice, anything else is replaced. */
export function inboundObjectPath(userId: string, sessionId: string, waMessageId: string, ext: string): string {
  return `${userId}/${sessionId}/${waMessageId.replace(/[^0-9A-Za-z_-]/g, '_')}.${ext}`;
}

/** The message Baileys' downloadMediaMessage takes, rebuilt from the stored download facts. */
export function messageFromSource(source: MediaSource): WAMessage {
  const b = (v: string | null) => (v ? Buffer.from(v, 'base64') : undefined);
  return {
    key: source.key,
    message: {
      [source.field]: {
        url: source.url ?? undefined,
        directPath: source.directPath ?? undefined,
        mediaKey: b(source.mediaKey),
        fileSha256: b(source.fileSha256),
        fileEncSha256: b(source.fileEncSha256),
        fileLength: source.fileLength ?? undefined,
        mimetype: source.mimetype ?? undefined,
      },
    },
  } as WAMessage;
}
