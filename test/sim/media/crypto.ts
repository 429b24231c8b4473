// WhatsApp media encryption, written from the protocol (not from Baileys' code) so the simulator checks what
// clients do instead of agreeing with them by construction. Sources: whatsmeow upload.go (Upload) and
// download.go; rc14 Utils/messages-media.js (getMediaKeys, encryptedStream, encryptMediaRetryRequest).
//   keys   = HKDF-SHA256(mediaKey, salt = none, info = "WhatsApp <Kind> Keys", 112 bytes)
//            → iv [0,16), cipherKey [16,48), macKey [48,80)
//   file   = AES-256-CBC(cipherKey, iv, plaintext, PKCS#7) ‖ HMAC-SHA256(macKey, iv ‖ ciphertext)[0,10)
//   fileSha256 = SHA-256(plaintext), fileEncSha256 = SHA-256(file)
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The media types of MEDIA_HKDF_KEY_MAPPING (rc14 Defaults/index.js) that messages carry, and 'md-msg-hist': a
 * history sync chunk the phone uploads for a new companion (handlers/history-sync.ts).
 */
export type MediaKeyType = 'image' | 'video' | 'audio' | 'ptt' | 'document' | 'sticker' | 'gif' | 'ptv' | 'md-msg-hist'

const HKDF_INFO: Record<MediaKeyType, string> = {
  image: 'Image',
  sticker: 'Image',
  video: 'Video',
  gif: 'Video',
  ptv: 'Video',
  audio: 'Audio',
  ptt: 'Audio',
  document: 'Document',
  'md-msg-hist': 'History',
}

export interface MediaKeys {
  iv: Buffer
  cipherKey: Buffer
  macKey: Buffer
}

export function mediaKeys(mediaKey: Uint8Array, type: MediaKeyType): MediaKeys {
  const expanded = Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), `WhatsApp ${HKDF_INFO[type]} Keys`, 112))
  return { iv: expanded.subarray(0, 16), cipherKey: expanded.subarray(16, 48), macKey: expanded.subarray(48, 80) }
}

export interface EncryptedMedia {
  mediaKey: Buffer
  /** what is uploaded: ciphertext ‖ 10-byte mac */
  file: Buffer
  fileSha256: Buffer
  fileEncSha256: Buffer
  fileLength: number
}

export function encryptMedia(plain: Uint8Array, type: MediaKeyType, mediaKey: Buffer = randomBytes(32)): EncryptedMedia {
  const { iv, cipherKey, macKey } = mediaKeys(mediaKey, type)
  const aes = createCipheriv('aes-256-cbc', cipherKey, iv)
  const ciphertext = Buffer.concat([aes.update(plain), aes.final()])
  const mac = createHmac('sha256', macKey).update(iv).update(ciphertext).digest().subarray(0, 10)
  const file = Buffer.concat([ciphertext, mac])
  return {
    mediaKey,
    file,
    fileSha256: createHash('sha256').update(plain).digest(),
    fileEncSha256: createHash('sha256').update(file).digest(),
    fileLength: plain.length,
  }
}

export class MediaCheckError extends Error {}

/**
 * What a receiving phone does with a downloaded file: check fileEncSha256, the mac, then decrypt and check
 * fileSha256 and fileLength. Throws MediaCheckError naming the first check that failed.
 */
export function decryptMedia(
  file: Buffer,
  media: { mediaKey: Uint8Array; fileEncSha256?: Uint8Array | null; fileSha256?: Uint8Array | null; fileLength?: number | null },
  type: MediaKeyType,
): Buffer {
  if (file.length < 10 + 16) throw new MediaCheckError('file too short')
  const encSha = createHash('sha256').update(file).digest()
  if (media.fileEncSha256 && !encSha.equals(Buffer.from(media.fileEncSha256))) throw new MediaCheckError('fileEncSha256 mismatch')
  const { iv, cipherKey, macKey } = mediaKeys(media.mediaKey, type)
  const ciphertext = file.subarray(0, file.length - 10)
  const mac = createHmac('sha256', macKey).update(iv).update(ciphertext).digest().subarray(0, 10)
  if (!timingSafeEqual(mac, file.subarray(file.length - 10))) throw new MediaCheckError('mac mismatch')
  let plain: Buffer
  try {
    const aes = createDecipheriv('aes-256-cbc', cipherKey, iv)
    plain = Buffer.concat([aes.update(ciphertext), aes.final()])
  } catch {
    throw new MediaCheckError('bad padding')
  }
  if (media.fileSha256 && !createHash('sha256').update(plain).digest().equals(Buffer.from(media.fileSha256))) {
    throw new MediaCheckError('fileSha256 mismatch')
  }
  if (media.fileLength != null && Number(media.fileLength) !== plain.length) throw new MediaCheckError('fileLength mismatch')
  return plain
}

/** HKDF(mediaKey, "WhatsApp Media Retry Notification", 32): the key of the media-retry receipt and notification (whatsmeow mediaretry.go). */
export function mediaRetryKey(mediaKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), 'WhatsApp Media Retry Notification', 32))
}

/** AES-256-GCM with the message id as additional data; the 16-byte tag is appended (rc14 Utils/crypto.js aesEncryptGCM). */
export function gcmEncrypt(plain: Uint8Array, key: Buffer, iv: Buffer, aad: string): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv)
  c.setAAD(Buffer.from(aad))
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
}

export function gcmDecrypt(data: Uint8Array, key: Buffer, iv: Uint8Array, aad: string): Buffer {
  const buf = Buffer.from(data)
  const d = createDecipheriv('aes-256-gcm', key, iv)
  d.setAAD(Buffer.from(aad))
  d.setAuthTag(buf.subarray(buf.length - 16))
  return Buffer.concat([d.update(buf.subarray(0, buf.length - 16)), d.final()])
}
