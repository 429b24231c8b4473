import { jidDecode, proto, type BinaryNode } from '@whiskeysockets/baileys'
import { bigEndian, bytes, child, children, newMessageId, uintFrom, unixNow, type SimContext } from '../context.ts'
import { peerAddress, type LinkedDevice, type RecordedMessage, type SimUser } from '../device-registry.ts'
import type { PreKeyBundle } from '../peer.ts'
import type { SimConnection } from '../transport/connection.ts'
import { sendReceiptToSender, type SentIndex } from './receipts.ts'
import { receiveMedia, wireMediaType, type PhoneMedia, type RecordedMedia } from '../media/phone-media.ts'
import { recordRepAction } from './rep-actions.ts'
import { refuses463 } from './restrictions.ts'
import { handlePeerDataOperation } from './placeholders.ts'

export function textOf(message: proto.IMessage | null | undefined): string | undefined {
  if (!message) return undefined
  return message.conversation ?? message.extendedTextMessage?.text ?? undefined
}

/**
 * Sends now if the device is online, otherwise keeps the stanza for its next login (offline delivery).
 * Returns false when the stanza was queued, true when it went out now (or the device is logged out: nothing to do).
 */
export function deliverToDevice(ctx: SimContext, device: LinkedDevice, stanza: BinaryNode): boolean {
  if (device.loggedOut) return true
  const conn = device.connection
  if (conn?.isOpen && (conn.context as { online?: boolean }).online) {
    sendUntilAcked(ctx, device, conn, stanza)
    return true
  }
  if (device.pending.length >= ctx.options.maxPendingOffline) {
    device.pending.shift()
    ctx.stats.offlineDropped++
  }
  device.pending.push(stanza)
  return false
}

/**
 * Which client answer releases a stanza kept in `LinkedDevice.unacked`. A receipt is released by
 * `<ack class="receipt" id type>`; a message by `<ack class="message" id>` (Baileys sends that for a message it
 * could not use, often with an error) or by the device's own `<receipt id>` for it (what Baileys sends instead
 * of an ack once it decrypted the message).
 */
export function unackedKey(tag: string, id: string | undefined, type?: string): string {
  return tag === 'message' ? `message|${id ?? ''}` : `${tag}|${id ?? ''}|${type ?? ''}`
}

/** Sends a message or receipt and keeps it until the device acks it (see `LinkedDevice.unacked`). */
export function sendUntilAcked(ctx: SimContext, device: LinkedDevice, conn: SimConnection, stanza: BinaryNode): void {
  if (device.unacked.size >= ctx.options.maxPendingOffline) {
    device.unacked.delete(device.unacked.keys().next().value!)
    ctx.stats.offlineDropped++
  }
  device.unacked.set(unackedKey(stanza.tag, stanza.attrs.id, stanza.attrs.type), stanza)
  conn.send(stanza)
}

/** The socket closed (or a new login replaced it): what it never acked waits for the next login, first in line. */
export function requeueUnacked(device: LinkedDevice): void {
  if (device.unacked.size === 0) return
  device.pending.unshift(...device.unacked.values())
  device.unacked.clear()
}

const PHONE_MEDIA_LIMIT = 500

/** A phone keeps the media it has (bounded), to answer media-retry requests. */
export function keepMedia(user: SimUser, id: string, kept: PhoneMedia): void {
  if (user.media.size >= PHONE_MEDIA_LIMIT) user.media.delete(user.media.keys().next().value!)
  user.media.set(id, kept)
}

/** The phone downloads and checks the media of a linked device's message (see receiveMedia). */
function mediaOf(ctx: SimContext, phone: SimUser, id: string, message: proto.IMessage | null | undefined): RecordedMedia | undefined {
  const got = message ? receiveMedia(ctx.media, message) : undefined
  if (!got) return undefined
  if (got.recorded.error) {
    ctx.stats.mediaErrors++
    ctx.stats.lastMediaError = `${phone.pn} ${id}: ${got.recorded.error}`
  } else {
    ctx.stats.mediaReceived++
  }
  if (got.kept) keepMedia(phone, id, got.kept)
  return got.recorded
}

/** A message between two accounts makes them existing contacts of each other (no longer "new" for a restriction). */
export function startChat(sender: SimUser, recipient: SimUser, byCompanion: boolean): void {
  if (sender.chats.has(recipient.phone)) return
  sender.chats.add(recipient.phone)
  recipient.chats.add(sender.phone)
  if (byCompanion) sender.newChatsStarted++
}

function record(user: SimUser, list: RecordedMessage[], msg: RecordedMessage): void {
  list.push(msg)
  if (list === user.inbox) user.inboxCount.set(msg.id, (user.inboxCount.get(msg.id) ?? 0) + 1)
  for (const w of user.waiters) w()
}

/** A linked device sent `<message>`: decrypt each `<enc>` for simulated phones, relay to other linked devices, ack, receipts. */
export async function handleClientMessage(ctx: SimContext, device: LinkedDevice, node: BinaryNode, sent: SentIndex): Promise<void> {
  const id = node.attrs.id ?? ''
  const to = node.attrs.to ?? ''
  const conn = device.connection
  const sender = device.user
  const recipient = ctx.registry.userForJid(to)
  if (!recipient) {
    conn?.send({ tag: 'ack', attrs: { class: 'message', id, from: to, t: unixNow(), error: ctx.options.notOnWhatsAppAckError } })
    return
  }
  if (refuses463(ctx, device, recipient)) {
    conn?.send({ tag: 'ack', attrs: { class: 'message', id, from: to, t: unixNow(), error: '463' } })
    return
  }
  conn?.send({ tag: 'ack', attrs: { class: 'message', id, from: to, t: unixNow() } })
  if (recipient !== sender) {
    sent.set(id, { sender: device, to, recipient })
    startChat(sender, recipient, true)
  }

  const targets: { jid: string; enc: BinaryNode }[] = []
  for (const p of children(child(node, 'participants'), 'to')) {
    const enc = child(p, 'enc')
    if (enc && p.attrs.jid) targets.push({ jid: p.attrs.jid, enc })
  }
  const direct = child(node, 'enc')
  if (direct) targets.push({ jid: to, enc: direct })

  const from = peerAddress(sender, device.deviceId)
  let delivered = false
  for (const { jid, enc } of targets) {
    const target = ctx.registry.userForJid(jid)
    if (!target) continue
    const targetDevice = jidDecode(jid)?.device ?? 0
    const ciphertext = bytes(enc)
    if (!ciphertext) continue
    if (targetDevice !== 0) {
      const companion = target.companions.get(targetDevice)
      if (companion && companion !== device) relayToCompanion(ctx, companion, device, recipient, node, enc)
      continue
    }
    let message: proto.Message
    try {
      message = await target.peer.decryptMessage(from.name, from.device, enc.attrs.type ?? 'msg', ciphertext)
    } catch (err) {
      // counted so tests can assert there were none; like a real phone, a contact then asks for the message again
      ctx.stats.decryptErrors++
      ctx.stats.lastDecryptError = `${jid} ${id}: ${err instanceof Error ? err.message : String(err)}`
      if (target !== sender) askForRetry(ctx, device, target, to, id)
      continue
    }
    ctx.stats.recorded++
    if (target === sender) {
      if (await handlePeerDataOperation(ctx, device, id, message)) continue
      const dsm = message.deviceSentMessage
      const media = mediaOf(ctx, sender, id, dsm?.message)
      const text = textOf(dsm?.message) ?? (media ? (media.caption ?? '') : undefined)
      if (text !== undefined) {
        const dest = dsm?.destinationJid ? ctx.registry.userForJid(dsm.destinationJid) : recipient
        record(sender, sender.sentCopies, {
          id,
          from: `+${sender.phone}`,
          to: `+${dest?.phone ?? recipient.phone}`,
          text,
          at: Date.now(),
          fromDevice: device.jid,
          ...(media ? { media } : {}),
        })
      }
    } else {
      if (recordRepAction(target, sender, id, message)) continue
      const media = mediaOf(ctx, target, id, message)
      const text = textOf(message) ?? (media ? (media.caption ?? '') : undefined)
      if (text !== undefined) {
        record(target, target.inbox, { id, from: `+${sender.phone}`, to: `+${target.phone}`, text, at: Date.now(), fromDevice: device.jid, ...(media ? { media } : {}) })
        delivered = true
      }
    }
  }
  if (delivered && recipient.receipts !== 'none') {
    const rec = sent.get(id)
    if (rec) {
      // a real phone answers after a network round trip; answering inside the same tick makes Baileys fold the
      // status into the still-buffered messages.upsert instead of emitting messages.update
      const delay = ctx.options.receiptDelayMs
      const read = recipient.receipts === 'read'
      setTimeout(() => {
        sendReceiptToSender(ctx, rec, id, 'delivered')
        if (read) setTimeout(() => sendReceiptToSender(ctx, rec, id, 'read'), delay)
      }, delay)
    }
  }
}

/**
 * `<receipt type="retry">` from a contact's phone to the linked device whose message it could not decrypt (e.g.
 * the device encrypted it with a session the phone had already replaced). Baileys answers by fetching a fresh
 * key bundle and sending the same message id again (getMessage).
 */
function askForRetry(ctx: SimContext, device: LinkedDevice, phone: SimUser, to: string, id: string): void {
  if (phone.heldRetries) {
    phone.heldRetries.push(() => askForRetry(ctx, device, phone, to, id))
    return
  }
  ctx.stats.retriesAsked++
  deliverToDevice(ctx, device, {
    tag: 'receipt',
    attrs: { from: to, id, type: 'retry', t: unixNow() },
    content: [
      { tag: 'retry', attrs: { count: '1', id, t: unixNow(), v: '1' } },
      { tag: 'registration', attrs: {}, content: bigEndian(phone.peer.registrationId, 4) },
    ],
  })
}

/** Another linked device (of the recipient, or the sender's own other companion) gets the ciphertext as is. */
function relayToCompanion(ctx: SimContext, companion: LinkedDevice, senderDevice: LinkedDevice, recipient: SimUser, node: BinaryNode, enc: BinaryNode): void {
  const s = senderDevice.user
  const attrs: Record<string, string> = {
    from: `${s.lidUser}:${senderDevice.deviceId}@lid`,
    sender_pn: senderDevice.jid,
    addressing_mode: 'lid',
    id: node.attrs.id ?? '',
    type: node.attrs.type ?? 'text',
    t: unixNow(),
    notify: senderDevice.pushName,
  }
  if (companion.user === s) attrs.recipient = recipient.lid
  deliverToDevice(ctx, companion, { tag: 'message', attrs, content: [{ tag: 'enc', attrs: { ...enc.attrs }, content: enc.content }] })
}

/** What a phone sends: a text, or a message it built (media: see media/phone-media.ts) with what to record. */
export interface PhoneMessage {
  message: proto.IMessage
  text: string
  media?: RecordedMedia
}

/**
 * A simulated phone sends a text or media message: Signal-encrypted to each linked device of the recipient (`pkmsg`
 * first, then `msg`), and as a DeviceSentMessage to the sender's own linked devices (so they see it as fromMe).
 * Media goes as stanza type "media" with the enc `mediatype` attribute (rc14 Socket/messages-send.js relayMessage).
 */
export async function sendFromPhone(ctx: SimContext, sender: SimUser, recipient: SimUser, content: string | PhoneMessage, id = newMessageId(),
  addressing: 'lid' | 'pn' = 'lid'): Promise<string> {
  const t = unixNow()
  const sending: PhoneMessage = typeof content === 'string' ? { message: { conversation: content }, text: content } : content
  const { message, text } = sending
  const mediatype = wireMediaType(message)
  const type = mediatype ? 'media' : 'text'
  // LID-addressed with sender_pn when the sender shares its number; 'pn': the phone JID with sender_lid (the same
  // message can reach a gateway in either form: WAHA#1309, #1627, #1816; rc14 extractAddressingContext)
  const attrs: Record<string, string> = addressing === 'pn'
    ? { from: sender.pn, addressing_mode: 'pn', sender_lid: sender.lid, id, type, t, notify: sender.name }
    : { from: sender.lid, addressing_mode: 'lid', id, type, t, notify: sender.name }
  if (addressing === 'lid' && sender.sharesPhone) attrs.sender_pn = sender.pn
  const dsmAttrs = { from: sender.pn, recipient: recipient.pn, addressing_mode: 'pn', id, type, t }
  if (sender.outbox.size >= OUTBOX_LIMIT) sender.outbox.delete(sender.outbox.keys().next().value!)
  sender.outbox.set(id, { recipient, message, attrs, dsmAttrs })
  for (const d of recipient.companions.values()) {
    if (d.loggedOut) continue
    const enc = await encryptFor(ctx, sender, d, message, mediatype)
    deliverToDevice(ctx, d, { tag: 'message', attrs, content: [enc] })
  }
  if (recipient !== sender) {
    startChat(sender, recipient, false)
    const dsm: proto.IMessage = { deviceSentMessage: { destinationJid: recipient.pn, message } }
    for (const d of sender.companions.values()) {
      if (d.loggedOut) continue
      const enc = await encryptFor(ctx, sender, d, dsm, mediatype)
      deliverToDevice(ctx, d, { tag: 'message', attrs: dsmAttrs, content: [enc] })
    }
    record(recipient, recipient.inbox, {
      id, from: `+${sender.phone}`, to: `+${recipient.phone}`, text, at: Date.now(), fromDevice: sender.pn, ...(sending.media ? { media: sending.media } : {}),
    })
  }
  return id
}

const OUTBOX_LIMIT = 5000

/**
 * `<receipt type="retry">`: the linked device could not decrypt a phone's message. Like a real phone, build a new
 * session (from the `<keys>` bundle in the receipt, or a freshly fetched one) and send the message again.
 */
export async function handleRetryReceipt(ctx: SimContext, device: LinkedDevice, node: BinaryNode): Promise<void> {
  const id = node.attrs.id ?? ''
  const phone = node.attrs.to ? ctx.registry.userForJid(node.attrs.to) : undefined
  const entry = phone?.outbox.get(id)
  if (!phone || !entry) return
  const keys = child(node, 'keys')
  let bundle: PreKeyBundle | undefined
  if (keys) {
    const skey = child(keys, 'skey')
    const key = child(keys, 'key')
    bundle = {
      registrationId: uintFrom(bytes(child(node, 'registration'))),
      identity: bytes(child(keys, 'identity'))!,
      signedPreKey: {
        keyId: uintFrom(bytes(child(skey, 'id'))),
        public: bytes(child(skey, 'value'))!,
        signature: bytes(child(skey, 'signature'))!,
      },
      preKey: key ? { keyId: uintFrom(bytes(child(key, 'id'))), public: bytes(child(key, 'value'))! } : undefined,
    }
  } else {
    bundle = ctx.registry.takeBundle(device.user, device.deviceId)
  }
  if (!bundle) return
  const addr = peerAddress(device.user, device.deviceId)
  await phone.peer.startSession(addr.name, addr.device, bundle)
  const own = device.user === phone
  const message: proto.IMessage = own ? { deviceSentMessage: { destinationJid: entry.recipient.pn, message: entry.message } } : entry.message
  const { type, ciphertext } = await phone.peer.encryptMessage(addr.name, addr.device, message)
  const count = child(node, 'retry')?.attrs.count ?? '1'
  ctx.stats.retriesAnswered++
  deliverToDevice(ctx, device, {
    tag: 'message',
    attrs: own ? entry.dsmAttrs : entry.attrs,
    content: [{ tag: 'enc', attrs: { v: '2', type, count }, content: ciphertext }],
  })
}

export async function encryptFor(ctx: SimContext, sender: SimUser, device: LinkedDevice, message: proto.IMessage, mediatype?: string): Promise<BinaryNode> {
  const addr = peerAddress(device.user, device.deviceId)
  if (!sender.peer.hasSession(addr.name, addr.device)) {
    const bundle = ctx.registry.takeBundle(device.user, device.deviceId)
    if (!bundle) throw new Error(`no key bundle for ${device.jid}`)
    await sender.peer.startSession(addr.name, addr.device, bundle)
  }
  const { type, ciphertext } = await sender.peer.encryptMessage(addr.name, addr.device, message)
  return { tag: 'enc', attrs: { v: '2', type, ...(mediatype ? { mediatype } : {}) }, content: ciphertext }
}
