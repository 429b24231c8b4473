// Media retry ("re-upload"): a linked device that got 404/410 for a media download asks its own phone to upload
// the file again, and the phone answers with a new direct path. Shapes (rc14 Utils/messages-media.js
// encryptMediaRetryRequest / decodeMediaRetryNode / decryptMediaRetryData; whatsmeow mediaretry.go):
//   device → server: <receipt id=<msg id> to=<own pn jid> type="server-error">
//                      <encrypt><enc_p>GCM(ServerErrorReceipt{stanzaId})</enc_p><enc_iv>12 bytes</enc_iv></encrypt>
//                      <rmr jid=<chat> from_me participant?/></receipt>
//   phone → device:  <notification from=<own pn jid> type="mediaretry" id=<msg id>>
//                      <encrypt><enc_p>GCM(MediaRetryNotification{stanzaId, directPath, result})</enc_p><enc_iv/></encrypt>
//                      <rmr …/></notification>
//                    or, when the phone no longer has the file, <error code="2"/> (NOT_FOUND; whatsmeow maps code 2 to
//                    ErrMediaNotAvailableOnPhone) instead of <encrypt>.
// Key = HKDF(mediaKey, "WhatsApp Media Retry Notification", 32); AES-256-GCM with the message id as additional data.
import { randomBytes } from 'node:crypto'
import { proto, type BinaryNode } from '@whiskeysockets/baileys'
import { bytes, child, unixNow, type SimContext } from '../context.ts'
import type { LinkedDevice } from '../device-registry.ts'
import { deliverToDevice } from '../handlers/messages.ts'
import { gcmDecrypt, gcmEncrypt, mediaRetryKey } from './crypto.ts'

const { ResultType } = proto.MediaRetryNotification

/** `<receipt type="server-error">` from a linked device: its own phone re-uploads the media and answers. */
export function handleMediaRetryRequest(ctx: SimContext, device: LinkedDevice, node: BinaryNode): void {
  const id = node.attrs.id ?? ''
  device.connection?.send({ tag: 'ack', attrs: { class: 'receipt', id, from: node.attrs.to ?? '', type: 'server-error' } })
  ctx.stats.mediaRetriesAsked++
  const phone = device.user
  const rmr = child(node, 'rmr')
  const answer = (content: BinaryNode[]) =>
    setTimeout(() => {
      deliverToDevice(ctx, device, {
        tag: 'notification',
        attrs: { from: phone.pn, type: 'mediaretry', id, t: unixNow() },
        content: [...content, { tag: 'rmr', attrs: { ...(rmr?.attrs ?? {}) } }],
      })
    }, ctx.options.receiptDelayMs)
  const kept = phone.media.get(id)
  if (!kept || phone.mediaRetryRefused.has(id)) {
    answer([{ tag: 'error', attrs: { code: String(ResultType.NOT_FOUND) } }])
    return
  }
  const key = mediaRetryKey(kept.mediaKey)
  const encrypt = child(node, 'encrypt')
  let result = ResultType.SUCCESS
  try {
    const request = proto.ServerErrorReceipt.decode(gcmDecrypt(bytes(child(encrypt, 'enc_p')) ?? Buffer.alloc(0), key, bytes(child(encrypt, 'enc_iv')) ?? Buffer.alloc(12), id))
    if (request.stanzaId !== id) result = ResultType.DECRYPTION_ERROR
  } catch {
    result = ResultType.DECRYPTION_ERROR
  }
  const notification: proto.IMediaRetryNotification = { stanzaId: id, result }
  if (result === ResultType.SUCCESS) {
    notification.directPath = ctx.media.publish(kept.file).directPath
    ctx.stats.mediaReuploads++
  }
  const iv = randomBytes(12)
  const ciphertext = gcmEncrypt(proto.MediaRetryNotification.encode(notification).finish(), key, iv, id)
  answer([{ tag: 'encrypt', attrs: {}, content: [{ tag: 'enc_p', attrs: {}, content: ciphertext }, { tag: 'enc_iv', attrs: {}, content: iv }] }])
}
