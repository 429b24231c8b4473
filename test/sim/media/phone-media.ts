// Media on a simulated phone: building the encrypted media messages a contact sends, and downloading,
// checking and decrypting what a linked device sent (as the receiving phone does). Field names are WAProto's
// ImageMessage / VideoMessage / AudioMessage / DocumentMessage / StickerMessage (rc14 WAProto, and rc14
// Utils/messages.js prepareWAMessageMedia, which fills url, directPath, mediaKey, fileEncSha256, fileSha256,
// fileLength, mediaKeyTimestamp, mimetype).
import { proto } from '@whiskeysockets/baileys'
import { decryptMedia, encryptMedia, MediaCheckError, type MediaKeyType } from './crypto.ts'
import type { MediaHost } from './host.ts'

export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker'

export interface MediaInput {
  kind: MediaKind
  data: Buffer
  mimetype?: string
  caption?: string
  fileName?: string
  /** audio, voice, video */
  seconds?: number
  width?: number
  height?: number
  /** the JPEG preview the phone puts in image, video and document messages */
  jpegThumbnail?: Buffer
  /** audio, voice: the waveform the phone drew (WhatsApp: 64 bars of 0-100) */
  waveform?: Buffer
}

/** What a phone decrypted from a media message (or why it could not). */
export interface RecordedMedia {
  kind: MediaKind
  mimetype: string | null
  caption: string | null
  fileName: string | null
  seconds: number | null
  /** audio: push-to-talk (a voice note); null for other kinds */
  ptt: boolean | null
  /** a voice note's waveform (WhatsApp: 64 bytes), if the message carries one */
  waveform: Buffer | null
  /** the preview image the message carries (images, video), if any */
  jpegThumbnail: Buffer | null
  width: number | null
  height: number | null
  /** the decrypted file; empty when `error` is set */
  data: Buffer
  /** the check that failed (fileEncSha256 mismatch, mac mismatch, 404…), if any */
  error?: string
}

/** A phone keeps the encrypted file of every media message it has, so it can answer media-retry requests. */
export interface PhoneMedia {
  keyType: MediaKeyType
  mediaKey: Buffer
  file: Buffer
}

const FIELD: Record<MediaKind, 'imageMessage' | 'videoMessage' | 'audioMessage' | 'documentMessage' | 'stickerMessage'> = {
  image: 'imageMessage',
  video: 'videoMessage',
  audio: 'audioMessage',
  voice: 'audioMessage',
  document: 'documentMessage',
  sticker: 'stickerMessage',
}

const DEFAULT_MIME: Record<MediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  voice: 'audio/ogg; codecs=opus',
  document: 'application/pdf',
  sticker: 'image/webp',
}

/** WAProto's `MediaType` name for a message (rc14 Socket/messages-send.js getMediaType): the enc `mediatype` attribute. */
export function wireMediaType(message: proto.IMessage): string | undefined {
  if (message.imageMessage) return 'image'
  if (message.videoMessage) return message.videoMessage.gifPlayback ? 'gif' : 'video'
  if (message.audioMessage) return message.audioMessage.ptt ? 'ptt' : 'audio'
  if (message.documentMessage) return 'document'
  if (message.stickerMessage) return 'sticker'
  return undefined
}

const keyTypeOf = (kind: MediaKind): MediaKeyType => (kind === 'voice' ? 'ptt' : kind)

/** Encrypts and uploads `input` to the media host and returns the message a phone sends, and what it keeps. */
export function buildMediaMessage(host: MediaHost, input: MediaInput): { message: proto.IMessage; kept: PhoneMedia } {
  const keyType = keyTypeOf(input.kind)
  const enc = encryptMedia(input.data, keyType)
  const { directPath, url } = host.publish(enc.file)
  const common = {
    url,
    directPath,
    mediaKey: enc.mediaKey,
    fileSha256: enc.fileSha256,
    fileEncSha256: enc.fileEncSha256,
    fileLength: enc.fileLength,
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    mimetype: input.mimetype ?? DEFAULT_MIME[input.kind],
  }
  let content: Record<string, unknown>
  switch (input.kind) {
    case 'image':
    case 'sticker':
      content = { ...common, caption: input.kind === 'image' ? input.caption : undefined, width: input.width, height: input.height,
        jpegThumbnail: input.kind === 'image' ? input.jpegThumbnail : undefined }
      break
    case 'video':
      content = { ...common, caption: input.caption, seconds: input.seconds, width: input.width, height: input.height, jpegThumbnail: input.jpegThumbnail }
      break
    case 'audio':
    case 'voice':
      content = { ...common, seconds: input.seconds, ptt: input.kind === 'voice', waveform: input.waveform }
      break
    case 'document':
      content = { ...common, caption: input.caption, fileName: input.fileName ?? 'file', title: input.fileName ?? 'file', jpegThumbnail: input.jpegThumbnail }
      break
  }
  return { message: { [FIELD[input.kind]]: content }, kept: { keyType, mediaKey: enc.mediaKey, file: enc.file } }
}

type AnyMedia = proto.Message.IImageMessage & proto.Message.IVideoMessage & proto.Message.IAudioMessage & proto.Message.IDocumentMessage

/** The media part of a message, if it has one. */
export function mediaPartOf(message: proto.IMessage | null | undefined): { kind: MediaKind; content: AnyMedia } | undefined {
  if (!message) return undefined
  if (message.imageMessage) return { kind: 'image', content: message.imageMessage as AnyMedia }
  if (message.videoMessage) return { kind: 'video', content: message.videoMessage as AnyMedia }
  if (message.audioMessage) return { kind: message.audioMessage.ptt ? 'voice' : 'audio', content: message.audioMessage as AnyMedia }
  if (message.documentMessage) return { kind: 'document', content: message.documentMessage as AnyMedia }
  if (message.stickerMessage) return { kind: 'sticker', content: message.stickerMessage as AnyMedia }
  const inner = message.documentWithCaptionMessage?.message ?? message.ephemeralMessage?.message ?? message.viewOnceMessage?.message
  return inner ? mediaPartOf(inner) : undefined
}

/** What the input describes, as a receiving phone would record it (for the sender's own record). */
export function recordedFromInput(input: MediaInput): RecordedMedia {
  return {
    kind: input.kind,
    mimetype: input.mimetype ?? DEFAULT_MIME[input.kind],
    caption: input.caption ?? null,
    fileName: input.kind === 'document' ? (input.fileName ?? 'file') : null,
    seconds: input.seconds ?? null,
    ptt: input.kind === 'voice' ? true : input.kind === 'audio' ? false : null,
    waveform: input.waveform ?? null,
    jpegThumbnail: input.jpegThumbnail ?? null,
    width: input.width ?? null,
    height: input.height ?? null,
    data: input.data,
  }
}

/**
 * The receiving phone downloads the file from the direct path the message carries, then checks fileEncSha256,
 * the mac, fileSha256 and fileLength before decrypting (decryptMedia). Returns the record and what it keeps.
 */
export function receiveMedia(host: MediaHost, message: proto.IMessage): { recorded: RecordedMedia; kept?: PhoneMedia } | undefined {
  const part = mediaPartOf(message)
  if (!part) return undefined
  const c = part.content
  const recorded: RecordedMedia = {
    kind: part.kind,
    mimetype: c.mimetype ?? null,
    caption: c.caption ?? null,
    fileName: c.fileName ?? null,
    seconds: c.seconds ?? null,
    ptt: part.kind === 'voice' || part.kind === 'audio' ? Boolean(c.ptt) : null,
    waveform: c.waveform?.length ? Buffer.from(c.waveform) : null,
    jpegThumbnail: c.jpegThumbnail?.length ? Buffer.from(c.jpegThumbnail) : null,
    width: c.width ?? null,
    height: c.height ?? null,
    data: Buffer.alloc(0),
  }
  if (!c.mediaKey || !c.directPath) return { recorded: { ...recorded, error: 'no mediaKey or directPath' } }
  const got = host.fetch(c.directPath)
  if (got.status !== 200) return { recorded: { ...recorded, error: `download answered ${got.status}` } }
  const keyType = keyTypeOf(part.kind)
  try {
    const data = decryptMedia(got.file, { mediaKey: c.mediaKey, fileEncSha256: c.fileEncSha256, fileSha256: c.fileSha256, fileLength: Number(c.fileLength ?? 0) }, keyType)
    return { recorded: { ...recorded, data }, kept: { keyType, mediaKey: Buffer.from(c.mediaKey), file: got.file } }
  } catch (err) {
    if (err instanceof MediaCheckError) return { recorded: { ...recorded, error: err.message } }
    throw err
  }
}
