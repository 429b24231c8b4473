// Click-to-WhatsApp ad leads (WAHA#1913; rc14 Socket/messages-recv.js requestPlaceholderResend): Meta's ads endpoint does not encrypt for linked devices,
// so they get the `<message>` without `<enc>` (Baileys PRs #2334, #2287; whatsmeow message.go:L323-331 for the
// `<unavailable>` child), and rc14 asks the phone for it with a peer data operation (PLACEHOLDER_MESSAGE_RESEND,
// Socket/messages-send.js:L342-367). The account's phone (device 0) answers with a peer message carrying
// PEER_DATA_OPERATION_REQUEST_RESPONSE_MESSAGE and the WebMessageInfo bytes (wm message.go:L846-866, rc14
// Utils/process-message.js:L315-356). Unverified and chosen here: the `<unavailable>` child has no type, and
// the response comes `from` the account's phone JID with `category="peer"`.
import { proto } from '@whiskeysockets/baileys'
import { newMessageId, unixNow, type SimContext } from '../context.ts'
import type { LinkedDevice, SimUser } from '../device-registry.ts'
import { deliverToDevice, encryptFor, startChat } from './messages.ts'

const { Type } = proto.Message.ProtocolMessage
const PLACEHOLDER_RESEND = proto.Message.PeerDataOperationRequestType.PLACEHOLDER_MESSAGE_RESEND

/**
 * An ad lead's first message: each linked device of `recipient` gets the stanza without `<enc>`. The
 * recipient's phone has the content (here: the sender's outbox, unless `resendable` is false, as when the
 * phone is offline or lost it) and resends it when a linked device asks.
 */
export function sendAdLead(ctx: SimContext, sender: SimUser, recipient: SimUser, text: string, opts: { id?: string; resendable?: boolean }): string {
  const id = opts.id ?? newMessageId()
  const t = unixNow()
  const attrs: Record<string, string> = { from: sender.lid, addressing_mode: 'lid', id, type: 'text', t, notify: sender.name }
  if (sender.sharesPhone) attrs.sender_pn = sender.pn
  if (opts.resendable !== false) {
    sender.outbox.set(id, { recipient, message: { conversation: text }, attrs, dsmAttrs: { from: sender.pn, recipient: recipient.pn, addressing_mode: 'pn', id, type: 'text', t } })
  }
  for (const d of recipient.companions.values()) {
    if (!d.loggedOut) deliverToDevice(ctx, d, { tag: 'message', attrs, content: [{ tag: 'unavailable', attrs: {} }] })
  }
  startChat(sender, recipient, false)
  return id
}

/** A linked device's message to its own phone was a peer data operation: answer placeholder resends. True when handled. */
export async function handlePeerDataOperation(ctx: SimContext, device: LinkedDevice, stanzaId: string, message: proto.IMessage): Promise<boolean> {
  // rc14 relays the request to the own phone like any message to an own device, i.e. wrapped in a
  // DeviceSentMessage whose destinationJid is the account itself (Socket/messages-send.js:L449-455, L660);
  // whatsmeow's sendPeerMessage encrypts the bare protocolMessage. The phone takes either.
  const request = message.protocolMessage ?? message.deviceSentMessage?.message?.protocolMessage
  if (request?.type !== Type.PEER_DATA_OPERATION_REQUEST_MESSAGE) return false
  const op = request.peerDataOperationRequestMessage
  ctx.stats.placeholderResendsAsked++
  if (op?.peerDataOperationRequestType !== PLACEHOLDER_RESEND) return true
  const owner = device.user
  const results: proto.Message.PeerDataOperationRequestResponseMessage.IPeerDataOperationResult[] = []
  for (const { messageKey } of op.placeholderMessageResendRequest ?? []) {
    const contact = messageKey?.remoteJid ? ctx.registry.userForJid(messageKey.remoteJid) : undefined
    const kept = messageKey?.id ? contact?.outbox.get(messageKey.id) : undefined
    if (!contact || !kept || kept.recipient !== owner) continue
    const info = proto.WebMessageInfo.encode({
      key: { remoteJid: contact.lid, fromMe: false, id: messageKey!.id },
      message: kept.message,
      messageTimestamp: Number(kept.attrs.t),
      pushName: contact.name,
    }).finish()
    results.push({ placeholderMessageResendResponse: { webMessageInfoBytes: info } })
  }
  if (results.length === 0) return true // the phone has nothing to resend: no answer (rc14 gives up after 8 s)
  const response: proto.IMessage = {
    protocolMessage: {
      type: Type.PEER_DATA_OPERATION_REQUEST_RESPONSE_MESSAGE,
      peerDataOperationRequestResponseMessage: { peerDataOperationRequestType: PLACEHOLDER_RESEND, stanzaId, peerDataOperationResult: results },
    },
  }
  const enc = await encryptFor(ctx, owner, device, response)
  deliverToDevice(ctx, device, { tag: 'message', attrs: { from: owner.pn, id: newMessageId(), type: 'text', t: unixNow(), category: 'peer' }, content: [enc] })
  ctx.stats.placeholderResendsAnswered++
  return true
}
