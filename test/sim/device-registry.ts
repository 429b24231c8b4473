import type { BinaryNode, proto } from '@whiskeysockets/baileys'
import type { SimConnection } from './transport/connection.ts'
import { SignalPeer, type PreKeyBundle } from './peer.ts'
import type { PhoneMedia, RecordedMedia } from './media/phone-media.ts'

export type ReceiptMode = 'none' | 'delivered' | 'read'

/** A message as the simulator recorded it (decrypted by a simulated phone). */
export interface RecordedMessage {
  /** WhatsApp message id */
  id: string
  /** sender phone, E.164 with '+' */
  from: string
  /** recipient phone, E.164 with '+' */
  to: string
  text: string
  /** ms since epoch when the simulator decrypted it */
  at: number
  /** the sending device's jid (a linked device, or the phone's own jid) */
  fromDevice: string
  /** a media message: what the phone downloaded and decrypted (text is then the caption, or '') */
  media?: RecordedMedia
}

export interface LinkedDevice {
  user: SimUser
  deviceId: number
  /** '15550001111:7@s.whatsapp.net' */
  jid: string
  /** '100000000000001:7@lid' */
  lid: string
  noisePublic: Buffer
  identityPublic: Buffer
  registrationId: number
  signedPreKey: { keyId: number; public: Buffer; signature: Buffer }
  preKeys: Map<number, Buffer>
  keyIndex: number
  pushName: string
  loggedOut: boolean
  refuseConnections: boolean
  /** login payloads this device's noise key sent (accepted, refused or held): a client reconnecting shows up here */
  logins: number
  /** hold_connections: logins parked unanswered, resumed by clearFaults (undefined = not holding) */
  heldLogins?: (() => void)[]
  /** a PreKeyLow notification is outstanding (cleared by the next upload) */
  preKeyLowSent?: boolean
  /** stanzas waiting for the device to come online (contacts' messages, receipts) */
  pending: BinaryNode[]
  /**
   * messages and receipts sent to the device and not acknowledged yet, by `unackedKey`: like WhatsApp, the
   * server keeps them until the client's `<ack>` (or its receipt for a message) and delivers them again at its
   * next login if the socket closed first
   */
  unacked: Map<string, BinaryNode>
  connection: SimConnection | undefined
  /** a new link: the phone sends the initial history sync once the device is online */
  historySyncPending?: boolean
}

/** A past conversation of an account, as its phone holds it (sent in the history sync of a new link). */
export interface HistoryConversation {
  /** the other account */
  with: SimUser
  /** false: the contact does not share its phone number; the conversation is known by LID only */
  phoneShared: boolean
  /** the name the owner saved the contact under in the phone's address book (Conversation.displayName); none: not saved */
  savedAs?: string
  messages: { id: string; fromMe: boolean; text: string; at: number }[]
}

/** How much of the history goes inline in the INITIAL_BOOTSTRAP and how much in each RECENT chunk. */
export interface HistoryChunking {
  /** conversations in the bootstrap (the newest); the others come only in RECENT chunks */
  bootstrapConversations: number
  /** newest messages of each bootstrap conversation carried inline; older ones come in RECENT chunks */
  bootstrapMessagesPerConversation: number
  /** messages per RECENT chunk */
  messagesPerChunk: number
}

/** A message a simulated phone sent, kept so it can be re-encrypted when a linked device asks for a retry. */
export interface OutboxEntry {
  recipient: SimUser
  message: proto.IMessage
  attrs: Record<string, string>
  dsmAttrs: Record<string, string>
}

/** A WhatsApp account: phone number, LID, its phone (device 0) and linked companions. */
export interface SimUser {
  phone: string
  pn: string
  lidUser: string
  lid: string
  name: string
  onWhatsApp: boolean
  /**
   * false: this account's messages reach linked devices by LID only, without sender_pn (Baileys PR #2744 saw
   * it in production, per contact: remoteJidAlt undefined on every message; rc14 Utils/decode-wa-message.js extractAddressingContext)
   */
  sharesPhone: boolean
  receipts: ReceiptMode
  peer: SignalPeer
  companions: Map<number, LinkedDevice>
  nextDeviceId: number
  nextKeyIndex: number
  /** messages this account's phone received from other accounts */
  inbox: RecordedMessage[]
  /** copies of messages that this account's linked devices sent (DeviceSentMessage to the phone) */
  sentCopies: RecordedMessage[]
  inboxCount: Map<string, number>
  /** what this phone sent recently, to answer retry receipts (bounded) */
  outbox: Map<string, OutboxEntry>
  receiptsReceived: Map<string, 'delivered' | 'read'>
  waiters: Set<() => void>
  /** encrypted media this phone has (sent or received), by message id, to answer media-retry requests (bounded) */
  media: Map<string, PhoneMedia>
  /** message ids whose media this phone no longer has (answers media retries with NOT_FOUND) */
  mediaRetryRefused: Set<string>
  /** retry receipts this phone holds back while it is "away" (SimContact.loseSignalSessions), sent by answerRetries() */
  heldRetries: (() => void)[] | null
  /** phones (digits) this account has a conversation with (messages either way, or history): not new contacts */
  chats: Set<string>
  /** what the phone holds from before the companion linked (`sim.seedHistory`) */
  history: HistoryConversation[]
  /** how the phone splits that history into the chunks it sends (`sim.seedHistory` options; history-sync.ts) */
  historyChunking?: Partial<HistoryChunking>
  /** conversations this account's companions started (the new-chat cap's used quota) */
  newChatsStarted: number
}

/** Accepts '+15550001111', '15550001111', '15550001111@s.whatsapp.net', '15550001111:7@s.whatsapp.net'. */
export function normalizePhone(input: string): string {
  const digits = input.split('@')[0]!.split(':')[0]!.replace(/[^0-9]/g, '')
  if (digits.length < 5 || digits.length > 15) throw new Error(`not a phone number: ${input}`)
  return digits
}

export function peerAddress(user: SimUser, device: number): { name: string; device: number } {
  // Baileys' libsignal naming for LID addresses is `user_1`; the simulator's peers use the same
  return { name: `${user.lidUser}_1`, device }
}

/** below this many one-time pre-keys the server tells the device (Baileys' MIN_PREKEY_COUNT is 5) */
const PRE_KEY_LOW = 5

let lidSeq = 0
const lidBase = 100_000_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000

export class DeviceRegistry {
  private readonly byPhone = new Map<string, SimUser>()
  private readonly byLid = new Map<string, SimUser>()
  private readonly byNoise = new Map<string, LinkedDevice>()
  private readonly notOnWhatsApp = new Set<string>()

  markNotOnWhatsApp(phone: string): void {
    const p = normalizePhone(phone)
    this.notOnWhatsApp.add(p)
    const u = this.byPhone.get(p)
    if (u) u.onWhatsApp = false
  }

  isOnWhatsApp(phone: string): boolean {
    return !this.notOnWhatsApp.has(normalizePhone(phone))
  }

  /** The account for a phone, created on first use (unless marked not on WhatsApp: then undefined). */
  user(phone: string): SimUser | undefined {
    const p = normalizePhone(phone)
    if (this.notOnWhatsApp.has(p)) return undefined
    let u = this.byPhone.get(p)
    if (!u) {
      const lidUser = String(lidBase + ++lidSeq)
      u = {
        phone: p,
        pn: `${p}@s.whatsapp.net`,
        lidUser,
        lid: `${lidUser}@lid`,
        name: `+${p}`,
        onWhatsApp: true,
        sharesPhone: true,
        receipts: 'read',
        peer: new SignalPeer(),
        companions: new Map(),
        nextDeviceId: 7,
        nextKeyIndex: 1,
        inbox: [],
        sentCopies: [],
        inboxCount: new Map(),
        outbox: new Map(),
        receiptsReceived: new Map(),
        waiters: new Set(),
        media: new Map(),
        mediaRetryRefused: new Set(),
        heldRetries: null,
        chats: new Set(),
        history: [],
        newChatsStarted: 0,
      }
      this.byPhone.set(p, u)
      this.byLid.set(lidUser, u)
    }
    return u
  }

  /** Puts back an account of a saved simulator (persistence.ts), under its own phone and LID. */
  restoreUser(user: SimUser): void {
    this.byPhone.set(user.phone, user)
    this.byLid.set(user.lidUser, user)
  }

  /** Every account, for saving the simulator's state. */
  allUsers(): SimUser[] {
    return [...this.byPhone.values()]
  }

  existingUser(phone: string): SimUser | undefined {
    return this.byPhone.get(normalizePhone(phone))
  }

  /** Resolves a PN or LID jid (with or without device) to an account; PN users are created lazily. */
  userForJid(jid: string): SimUser | undefined {
    const [userPart, server] = jid.split('@')
    const user = userPart!.split(':')[0]!
    if (server === 'lid') return this.byLid.get(user)
    if (server === 's.whatsapp.net' || server === 'c.us') {
      try {
        return this.user(user)
      } catch {
        return undefined
      }
    }
    return undefined
  }

  addDevice(device: LinkedDevice): void {
    device.user.companions.set(device.deviceId, device)
    this.byNoise.set(device.noisePublic.toString('base64'), device)
  }

  deviceByNoiseKey(noisePublic: Buffer): LinkedDevice | undefined {
    return this.byNoise.get(noisePublic.toString('base64'))
  }

  /** Forgets the device: contacts stop fanning out to it, and it can no longer log in (401). */
  removeDevice(device: LinkedDevice): void {
    device.loggedOut = true
    device.user.companions.delete(device.deviceId)
  }

  allDevices(): LinkedDevice[] {
    return [...this.byNoise.values()]
  }

  /** The bundle a key fetch returns for `user`'s device, taking one one-time pre-key. */
  takeBundle(user: SimUser, deviceId: number): PreKeyBundle | undefined {
    if (deviceId === 0) return user.peer.takeBundle()
    const d = user.companions.get(deviceId)
    if (!d) return undefined
    let preKey: PreKeyBundle['preKey']
    const first = d.preKeys.keys().next()
    if (!first.done) {
      preKey = { keyId: first.value, public: d.preKeys.get(first.value)! }
      d.preKeys.delete(first.value)
    }
    if (d.preKeys.size < PRE_KEY_LOW && !d.preKeyLowSent && d.connection?.isOpen) {
      // WhatsApp's PreKeyLow: Baileys answers by uploading more (uploadPreKeys)
      d.preKeyLowSent = true
      d.connection.send({
        tag: 'notification',
        attrs: { from: '@s.whatsapp.net', type: 'encrypt', id: `pkl-${d.deviceId}-${Date.now()}`, t: String(Math.floor(Date.now() / 1000)) },
        content: [{ tag: 'count', attrs: { value: String(d.preKeys.size) } }],
      })
    }
    return { registrationId: d.registrationId, identity: d.identityPublic, signedPreKey: d.signedPreKey, preKey }
  }
}
