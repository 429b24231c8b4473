import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Behaviours, WaVersions } from './behaviours.ts'
import type { DeviceRegistry, LinkedDevice } from './device-registry.ts'
import type { MediaHost } from './media/host.ts'
import type { SimConnection } from './transport/connection.ts'

export interface QrTimeouts {
  /** lifetime of the first ref (WhatsApp: 60 s) */
  first: number
  /** lifetime of each later ref (WhatsApp: 20 s) */
  next: number
  /** how many refs one pair-device carries (WhatsApp: 6) */
  count: number
  /** after the last ref expired, the server closes the socket this much later (Baileys ends with 408 first) */
  graceMs: number
}

export interface SimOptions {
  qrTimeoutsMs: QrTimeouts
  /** how long scanQr waits for the client's pair-device-sign */
  pairingReplyTimeoutMs: number
  /** delay before automatic delivery receipts (and again before read receipts) */
  receiptDelayMs: number
  /** error code in the server ack for a message whose recipient is not on WhatsApp */
  notOnWhatsAppAckError: string
  /** per linked device: how many stanzas wait for its next login; past this the oldest is dropped (and counted) */
  maxPendingOffline: number
  /** which late-2026 behaviours are on (behaviours.ts) */
  behaviours: Behaviours
  /** the WA Web versions the server serves (sw.js) and accepts (the floor) */
  versions: WaVersions
  /** companion_reg_refresh goes out this long after the scan that triggers it (the secret is retired at the scan) */
  regRefreshDelayMs: number
  /** multiplies WhatsApp's fixed durations (QR ref lifetimes, the refresh delay): 0.05 runs 60 s in 3 s */
  timeScale: number
}

/** Something a test can observe about linking (what the server sent, what the client answered). */
export interface LinkEvent {
  at: number
  /** the SimConnection id */
  conn: number
  kind:
    | 'pair_device_sent'
    | 'reg_refresh_sent'
    | 'notification_ack'
    | 'passkey_request_sent'
    | 'passkey_prologue_refused'
    | 'version_refused'
    | 'pairing_code_refused'
    | 'scan_refused'
    | 'pair_success_sent'
    | 'paired'
    | 'history_sync_sent'
    | 'history_chunk_sent'
    | 'history_push_names_sent'
    | 'restricted_ack'
    | 'timelock_query'
    | 'cap_query'
  detail?: Record<string, string>
}

/** Account restrictions (reachout time-lock) the server enforces, by phone (digits). */
export interface Restriction {
  /** ms since epoch */
  until: number
  /** as the mex answer carries it, e.g. RESTRICT_ALL_COMPANIONS (whatsmeow#1197) */
  enforcementType: string
}

/** A socket that is linking: it sent a registration payload and is showing QR refs. */
export interface PendingPairing {
  conn: SimConnection
  noisePublic: Buffer
  identityPublic: Buffer
  registrationId: number
  signedPreKey: { keyId: number; public: Buffer; signature: Buffer }
  refs: { ref: string; expiresAt: number }[]
  startedAt: number
  timer: NodeJS.Timeout | undefined
  /** set once a phone scanned one of its refs */
  claimed: boolean
  /** ADV secrets (base64) the server retired for this registration (companion_reg_refresh) */
  retiredSecrets: Set<string>
  /** companion_reg_refresh was sent (or is scheduled) for this registration */
  refreshRequested: boolean
  refreshTimer?: NodeJS.Timeout
}

export interface ConnectionState {
  kind: 'pairing' | 'device'
  pairing?: PendingPairing
  device?: LinkedDevice
  /** offline queue flushed and `<ib><offline>` sent */
  online?: boolean
  /** push `<edge_routing>` once (the client connected without routing info) */
  sendRouting?: boolean
  /** pairing-code flow: the companion_finish IQ */
  linkCodeFinish?: (iq: BinaryNode) => void
  /** waiters for the client's `<iq type=result|error id=…>` replies to server-initiated IQs */
  replies: Map<string, (node: BinaryNode) => void>
}

export interface SimContext {
  registry: DeviceRegistry
  /** the media host (CDN): uploads, downloads, expiring URLs */
  media: MediaHost
  options: SimOptions
  pairings: Map<string, PendingPairing>
  /** phones (digits) whose account requires a passkey to link a companion */
  passkeyAccounts: Set<string>
  restrictions: Map<string, Restriction>
  /** bounded log of linking events (LinkEvent) */
  linkLog: LinkEvent[]
  /** messages decrypted+recorded, for stats */
  stats: {
    recorded: number
    stanzasIn: number
    decryptErrors: number
    /** placeholder resend requests (peer data operations) linked devices sent to their phone, and those answered */
    placeholderResendsAsked: number
    placeholderResendsAnswered: number
    lastDecryptError?: string
    handlerErrors: number
    retriesAnswered: number
    /** retry receipts a simulated phone sent for a linked device's message it could not decrypt */
    retriesAsked: number
    /** receipts kept for a sender device that was offline, delivered at its next login */
    receiptsQueued: number
    /** offline stanzas dropped because a device's queue was full (`maxPendingOffline`) */
    offlineDropped: number
    /** media files a simulated phone downloaded, checked and decrypted from a linked device's message */
    mediaReceived: number
    /** media a phone could not download or whose hashes / mac did not check out (see lastMediaError) */
    mediaErrors: number
    lastMediaError?: string
    /** media-retry requests (`<receipt type="server-error">`) from linked devices, and re-uploads the phones did */
    mediaRetriesAsked: number
    mediaReuploads: number
  }
}

/** how the server's own jid decodes in Baileys (a JID pair with an empty user), e.g. from="@s.whatsapp.net" */
export const SERVER_JID = '@s.whatsapp.net'

export const unixNow = (): string => Math.floor(Date.now() / 1000).toString()

export function iqResult(iq: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return { tag: 'iq', attrs: { from: SERVER_JID, type: 'result', id: iq.attrs.id ?? '' }, content }
}

export function iqError(iq: BinaryNode, code: number, text: string): BinaryNode {
  return {
    tag: 'iq',
    attrs: { from: SERVER_JID, type: 'error', id: iq.attrs.id ?? '' },
    content: [{ tag: 'error', attrs: { code: String(code), text } }],
  }
}

export function children(node: BinaryNode | undefined, tag?: string): BinaryNode[] {
  if (!node || !Array.isArray(node.content)) return []
  return tag ? node.content.filter(c => c.tag === tag) : node.content
}

export function child(node: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return children(node, tag)[0]
}

export function bytes(node: BinaryNode | undefined): Buffer | undefined {
  const c = node?.content
  if (c instanceof Uint8Array) return Buffer.from(c)
  if (typeof c === 'string') return Buffer.from(c, 'utf8')
  return undefined
}

export function uintFrom(buf: Uint8Array | undefined): number {
  if (!buf) return 0
  let n = 0
  for (const b of buf) n = n * 256 + b
  return n
}

export function bigEndian(n: number, length: number): Buffer {
  const out = Buffer.alloc(length)
  for (let i = length - 1; i >= 0; i--) {
    out[i] = n & 0xff
    n = Math.floor(n / 256)
  }
  return out
}

let idSeq = 0
/** A phone-style message id (uppercase hex). */
export function newMessageId(): string {
  idSeq = (idSeq + 1) % 0xffffff
  return ('3A' + Date.now().toString(16) + idSeq.toString(16).padStart(6, '0') + Math.random().toString(16).slice(2, 8))
    .toUpperCase()
    .slice(0, 22)
}

const LINK_LOG_MAX = 5000

export function logLink(ctx: SimContext, conn: SimConnection, kind: LinkEvent['kind'], detail?: Record<string, string>): void {
  if (ctx.linkLog.length >= LINK_LOG_MAX) ctx.linkLog.shift()
  ctx.linkLog.push({ at: Date.now(), conn: conn.id, kind, ...(detail ? { detail } : {}) })
}

export function connectionState(conn: SimConnection): ConnectionState {
  return conn.context as ConnectionState
}

/** Waits for the client's reply to a server-initiated IQ. */
export function awaitReply(conn: SimConnection, id: string, timeoutMs: number): Promise<BinaryNode> {
  const state = connectionState(conn)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      state.replies.delete(id)
      reject(new Error(`no reply to iq ${id} within ${timeoutMs} ms`))
    }, timeoutMs)
    state.replies.set(id, node => {
      clearTimeout(timer)
      resolve(node)
    })
  })
}
