import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import {
  buildCertChain,
  generateRootKey,
  newKeyPair,
  simulatorRootKeyFromBase64,
  simulatorRootKeyToBase64,
  type SimulatorRootKey,
} from './certificate.ts'
import { DEFAULT_BEHAVIOURS, DEFAULT_VERSIONS, type Behaviours, type WaVersions } from './behaviours.ts'
import { SimContact, type ContactOptions } from './contact.ts'
import { type ConnectionState, type LinkEvent, type QrTimeouts, type SimContext } from './context.ts'
import { DeviceRegistry, normalizePhone, type HistoryChunking, type LinkedDevice } from './device-registry.ts'
import { FaultBook, type FaultKind, type FaultOptions } from './faults.ts'
import { handleDeviceNode, startSession } from './handlers/login.ts'
import { requeueUnacked } from './handlers/messages.ts'
import { endPairing, handleRegistrationNode, scanQr, startPairing, type ScanOptions } from './handlers/pairing.ts'
import { SentIndex } from './handlers/receipts.ts'
import { enterPairingCode } from './handlers/pairing-code.ts'
import { pushNewChatCap, restrictAccount, type RestrictOptions } from './handlers/restrictions.ts'
import { serveHttp, versionRefusal } from './handlers/version.ts'
import { seedHistory, type SeedConversation } from './history.ts'
import { provisionLinkedDevice, type ProvisionedDevice, type ProvisionOptions } from './provision.ts'
import { MediaHost, type MediaHostStats, type RetryableStatus } from './media/host.ts'
import { SimConnection } from './transport/connection.ts'
import type { DeviceInfo } from './device-info.ts'

export interface StartSimulatorOptions {
  /** default 0 (the OS picks a free port) */
  port?: number
  /** default 127.0.0.1 */
  host?: string
  /** keep the same root key across runs / processes (a key pair or its base64 from `rootKeyBase64`) */
  rootKey?: SimulatorRootKey | string
  /** QR ref timing; WhatsApp: first 60 s, then 20 s each, 6 refs */
  qrTimeoutsMs?: Partial<QrTimeouts>
  /** error code the server ack carries for a message to a number not on WhatsApp (default '404') */
  notOnWhatsAppAckError?: string
  /** automatic receipts: delivered this long after decrypting, read this long after delivered (default 150 ms: Baileys folds statuses that arrive within ~100 ms of a send into its buffered messages.upsert) */
  receiptDelayMs?: number
  /** per device, how many stanzas wait for its next login; the oldest is dropped past this (default 10,000; see stats().offlineDropped) */
  maxPendingOffline?: number
  /** how long a media URL (direct path) stays downloadable before the media host answers 410 (default 14 days) */
  mediaUrlTtlMs?: number
  /** largest media upload the media host accepts (default 100 MB) */
  maxMediaUploadBytes?: number
  /** WhatsApp's late-2026 behaviours (behaviours.ts): all on by default; switch any off here or with setBehaviours */
  behaviours?: Partial<Behaviours>
  /** the WA Web version served by GET /sw.js and the oldest one accepted (behaviours.ts DEFAULT_VERSIONS) */
  versions?: Partial<WaVersions>
  /** companion_reg_refresh is sent this long after the scan that triggers it (default 0; "about five seconds" reported) */
  regRefreshDelayMs?: number
  /**
   * Multiplies WhatsApp's fixed durations (QR ref lifetimes 60 s / 20 s and their grace, the refresh delay) so a
   * test can run a minute of WhatsApp time in seconds; the client must be scaled alike (Baileys' qrTimeout). Default 1.
   */
  timeScale?: number
}

export class Simulator {
  readonly url: string
  readonly port: number
  readonly rootPublicKey: Buffer
  readonly rootPublicKeyBase64: string
  /** the whole root key pair, for another process that must run an identical simulator */
  readonly rootKeyBase64: string
  /** the media host as media_conn advertises it (`127.0.0.1:PORT`); it speaks HTTPS with a certificate of `mediaCaPem` */
  readonly mediaHost: string
  /** PEM of the simulator's own CA: a simulator-mode client trusts it for the media host, and nothing else does */
  readonly mediaCaPem: string
  private readonly ctx: SimContext
  private readonly sent = new SentIndex()
  private readonly faults = new FaultBook()
  private readonly connections = new Set<SimConnection>()

  private reachable = true
  private readonly host: string

  constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    rootKey: SimulatorRootKey,
    options: StartSimulatorOptions,
    private readonly media: MediaHost,
    httpRoutes: HttpRoutes,
  ) {
    const addr = http.address() as AddressInfo
    this.port = addr.port
    this.host = options.host ?? '127.0.0.1'
    this.url = `ws://${this.host}:${addr.port}/ws/chat`
    this.rootPublicKey = rootKey.public
    this.rootPublicKeyBase64 = rootKey.public.toString('base64')
    this.rootKeyBase64 = simulatorRootKeyToBase64(rootKey)
    this.mediaHost = media.hostname
    this.mediaCaPem = media.caPem
    const scale = options.timeScale ?? 1
    if (!(scale > 0)) throw new Error('timeScale must be > 0')
    const whatsappTiming = { first: 60_000 * scale, next: 20_000 * scale, count: 6, graceMs: 10_000 * scale }
    this.ctx = {
      registry: new DeviceRegistry(),
      media,
      options: {
        qrTimeoutsMs: { ...whatsappTiming, ...options.qrTimeoutsMs },
        pairingReplyTimeoutMs: 10_000,
        notOnWhatsAppAckError: options.notOnWhatsAppAckError ?? '404',
        receiptDelayMs: options.receiptDelayMs ?? 150,
        maxPendingOffline: options.maxPendingOffline ?? 10_000,
        behaviours: { ...DEFAULT_BEHAVIOURS, ...options.behaviours },
        versions: { ...DEFAULT_VERSIONS, ...options.versions },
        regRefreshDelayMs: options.regRefreshDelayMs ?? 0,
        timeScale: scale,
      },
      pairings: new Map(),
      stats: { recorded: 0, stanzasIn: 0, decryptErrors: 0, placeholderResendsAsked: 0, placeholderResendsAnswered: 0, handlerErrors: 0, retriesAnswered: 0, retriesAsked: 0, receiptsQueued: 0, offlineDropped: 0,
        mediaReceived: 0, mediaErrors: 0, mediaRetriesAsked: 0, mediaReuploads: 0 },
      passkeyAccounts: new Set(),
      restrictions: new Map(),
      linkLog: [],
    }
    const staticKey = newKeyPair()
    const certChain = buildCertChain(rootKey, staticKey.public)
    httpRoutes.handle = (req, res) => serveHttp(this.ctx, req, res)
    wss.on('connection', ws => {
      const conn = new SimConnection(ws, staticKey, certChain, {
        onLogin: (c, hello) => {
          const refusal = versionRefusal(this.ctx, c, hello.payload)
          if (refusal) c.endWith(refusal)
          else if (hello.payload.devicePairingData && !hello.payload.username) startPairing(this.ctx, c, hello.clientStatic, hello.payload)
          else startSession(this.ctx, c, hello, (d, cn) => this.faults.applyTo(d, cn))
        },
        onNode: async (c, node) => {
          const state = c.context as ConnectionState
          if (state.kind === 'device') return handleDeviceNode(this.ctx, c, node, this.sent)
          handleRegistrationNode(this.ctx, c, node)
        },
        onError: () => {
          this.ctx.stats.handlerErrors++
        },
        onClose: c => {
          this.connections.delete(c)
          const state = c.context as ConnectionState
          if (state.pairing && !state.pairing.claimed) endPairing(this.ctx, state.pairing)
          if (state.device?.connection === c) {
            state.device.connection = undefined
            requeueUnacked(state.device)
          }
        },
      })
      const state: ConnectionState = { kind: 'pairing', replies: new Map() }
      conn.context = state
      this.connections.add(conn)
    })
  }

  /** Which late-2026 behaviours are on (a copy). */
  behaviours(): Behaviours {
    return { ...this.ctx.options.behaviours }
  }

  /** Switches behaviours on or off for everything that happens from now on (per test). */
  setBehaviours(changes: Partial<Behaviours>): void {
    Object.assign(this.ctx.options.behaviours, changes)
  }

  /** The WA Web versions: `current` is served by GET /sw.js, `minimum` is the floor. */
  versions(): WaVersions {
    return { ...this.ctx.options.versions }
  }

  setVersions(changes: Partial<WaVersions>): void {
    Object.assign(this.ctx.options.versions, changes)
  }

  /** Where the simulator publishes its current WA Web version (what fetchLatestWaWebVersion reads on web.whatsapp.com). */
  get serviceWorkerUrl(): string {
    return `http://${this.host}:${this.port}/sw.js`
  }

  /** The account of `phone` links companions only with a passkey (passkey_prologue_request instead of pair-success). */
  requirePasskey(phone: string, required = true): void {
    const p = normalizePhone(phone)
    if (required) this.ctx.passkeyAccounts.add(p)
    else this.ctx.passkeyAccounts.delete(p)
  }

  /**
   * Restricts the account of `phone` (reachout time-lock): its companions' messages to new contacts get error 463
   * until the lock ends; the timelock query reports it; online companions get the push. Returns the end.
   */
  restrict(phone: string, opts: RestrictOptions = {}): Date {
    return restrictAccount(this.ctx, phone, opts)
  }

  liftRestriction(phone: string): void {
    this.ctx.restrictions.delete(normalizePhone(phone))
  }

  /** Pushes the new-chat cap of `phone`'s account (its new chats so far) to its online companions. */
  pushNewChatCap(phone: string): void {
    const user = this.ctx.registry.user(phone)
    if (!user) throw new Error(`${normalizePhone(phone)} is marked not on WhatsApp`)
    pushNewChatCap(this.ctx, user)
  }

  /**
   * What the phone of `phone` holds from before a companion links: sent in the history sync of the next new link
   * (the INITIAL_BOOTSTRAP inline, then RECENT chunks through the media host; `chunking` sizes them).
   */
  seedHistory(phone: string, conversations: SeedConversation[], chunking?: Partial<HistoryChunking>): void {
    seedHistory(this.ctx, phone, conversations, chunking)
  }

  /** Linking events so far (what the server sent, what clients answered), oldest first. */
  linkEvents(filter?: LinkEvent['kind']): LinkEvent[] {
    return this.ctx.linkLog.filter(e => !filter || e.kind === filter)
  }

  /** The simulated phone of `phone` scans a QR string from `connection.update`; resolves after pair-device-sign (515 follows). */
  async scanQr(qr: string, opts: ScanOptions): Promise<{ phone: string; jid: string; lid: string; deviceId: number }> {
    const d = await scanQr(this.ctx, qr, opts)
    return { phone: `+${d.user.phone}`, jid: d.jid, lid: d.lid, deviceId: d.deviceId }
  }

  /**
   * The user types the code from `sock.requestPairingCode(phone)` on the phone of `opts.phone`
   * (waits up to `timeoutMs`, default 5 s, for the request and for companion_finish). Resolves after pair-device-sign (515 follows).
   */
  async enterPairingCode(
    code: string,
    opts: ScanOptions & { timeoutMs?: number },
  ): Promise<{ phone: string; jid: string; lid: string; deviceId: number }> {
    const d = await enterPairingCode(this.ctx, code, opts, opts.timeoutMs)
    return { phone: `+${d.user.phone}`, jid: d.jid, lid: d.lid, deviceId: d.deviceId }
  }

  /** The phone of any WhatsApp account (created on first use). */
  contact(phone: string, opts: ContactOptions = {}): SimContact {
    const user = this.ctx.registry.user(phone)
    if (!user) throw new Error(`${phone} is marked not on WhatsApp`)
    if (opts.name !== undefined) user.name = opts.name
    if (opts.receipts !== undefined) user.receipts = opts.receipts
    return new SimContact(this.ctx, user, this.sent)
  }

  /** Alias of contact(): a linked account's own phone. */
  phone(phone: string): SimContact {
    return this.contact(phone)
  }

  /** What another process needs to reach this simulator: its URL, root public key and media CA (PEM, base64). */
  env(): { WA_SIM_URL: string; WA_SIM_ROOT_PUBLIC_KEY: string; WA_SIM_MEDIA_CA: string } {
    return { WA_SIM_URL: this.url, WA_SIM_ROOT_PUBLIC_KEY: this.rootPublicKeyBase64, WA_SIM_MEDIA_CA: Buffer.from(this.mediaCaPem).toString('base64') }
  }

  /** Makes a media URL stale, as weeks passing would: the next download of it answers 410 (re-upload via media retry). */
  expireMedia(directPath: string): void {
    this.media.expire(directPath)
  }

  /** The media host deletes a file: downloads of it answer 404. */
  dropMedia(directPath: string): void {
    this.media.drop(directPath)
  }

  /** The next `count` downloads of a file answer `status` (default 503); then it is served again. */
  failMediaDownloads(directPath: string, count: number, status: RetryableStatus = 503): void { this.media.failDownloads(directPath, count, status) }
  /** Flips one byte of a file on the media host: it downloads, and fails the receiver's hash checks. */
  corruptMedia(directPath: string): void { this.media.corrupt(directPath) }

  /** Uploads, downloads and refusals of the media host. */
  mediaStats(): MediaHostStats {
    return { ...this.media.stats }
  }

  markNotOnWhatsApp(phone: string): void {
    this.ctx.registry.markNotOnWhatsApp(phone)
  }

  /** Injects a fault into every linked device of `phoneOrJid` (a phone number, or one device's jid). */
  fault(phoneOrJid: string, kind: FaultKind, opts?: FaultOptions): void {
    const devices = this.devicesOf(phoneOrJid)
    if (!devices.length) throw new Error(`no linked device for ${phoneOrJid}`)
    for (const d of devices) this.faults.inject(this.ctx.registry, d, kind, opts)
  }

  /** Resolves when a linked device of `phoneOrJid` satisfies `check` (default: connected). */
  async waitForDevice(phoneOrJid: string, check: (d: DeviceInfo) => boolean = d => d.connected, timeoutMs = 10_000): Promise<DeviceInfo> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.devices().find(
        d => (phoneOrJid.includes('@') ? d.jid === phoneOrJid || d.lid === phoneOrJid : d.phone === `+${normalizePhone(phoneOrJid)}`) && check(d),
      )
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no linked device of ${phoneOrJid} reached the expected state in ${timeoutMs} ms`)
      await new Promise(r => setTimeout(r, 20))
    }
  }

  /** Removes standing faults (delay, drop, silence, refuse_connections); held logins go on. */
  clearFaults(phoneOrJid: string): void {
    for (const d of this.devicesOf(phoneOrJid)) this.faults.clear(d)
  }

  devices(): DeviceInfo[] {
    return this.ctx.registry.allDevices().map(d => ({
      phone: `+${d.user.phone}`,
      jid: d.jid,
      lid: d.lid,
      deviceId: d.deviceId,
      pushName: d.pushName,
      connected: !!d.connection?.isOpen,
      loggedOut: d.loggedOut,
      preKeysOnServer: d.preKeys.size,
      pendingOffline: d.pending.length,
      unacked: d.unacked.size,
      heldLogins: d.heldLogins?.length ?? 0,
      logins: d.logins,
    }))
  }

  provisionLinkedDevice(opts: ProvisionOptions): ProvisionedDevice {
    return provisionLinkedDevice(this.ctx, opts)
  }

  /** Counters: `<enc>` payloads decrypted by simulated phones, stanzas from linked devices, failures. */
  stats(): SimContext['stats'] & { connections: number } {
    return { ...this.ctx.stats, connections: this.connections.size }
  }

  /**
   * Takes the whole server off the network (false) or back (true, same port). While unreachable, live sockets are
   * dropped (Baileys: 428) and new connections are refused (ECONNREFUSED, Baileys: 408).
   */
  async setReachable(reachable: boolean): Promise<void> {
    if (reachable === this.reachable) return
    this.reachable = reachable
    if (!reachable) {
      const closed = new Promise<void>(resolve => this.http.close(() => resolve()))
      for (const c of this.connections) c.terminate()
      await closed
    } else {
      await new Promise<void>((resolve, reject) => {
        this.http.once('error', reject)
        this.http.listen(this.port, this.host, () => {
          this.http.off('error', reject)
          resolve()
        })
      })
    }
  }

  /** The accounts and linked devices (persistence.ts saves and restores them for the demo). */
  get registry(): DeviceRegistry {
    return this.ctx.registry
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.terminate()
    for (const p of new Set(this.ctx.pairings.values())) endPairing(this.ctx, p)
    await new Promise<void>(resolve => this.wss.close(() => resolve()))
    if (this.reachable) await new Promise<void>(resolve => this.http.close(() => resolve()))
    await this.media.close()
  }

  private devicesOf(phoneOrJid: string): LinkedDevice[] {
    const all = this.ctx.registry.allDevices()
    if (phoneOrJid.includes('@')) {
      const exact = all.filter(d => d.jid === phoneOrJid || d.lid === phoneOrJid)
      if (exact.length) return exact
    }
    const phone = normalizePhone(phoneOrJid)
    return all.filter(d => d.user.phone === phone && !d.loggedOut)
  }
}

/** The HTTP side of the simulator's port (GET /sw.js): the Simulator installs its handler once constructed. */
interface HttpRoutes {
  handle(req: IncomingMessage, res: ServerResponse): void
}

export async function startSimulator(options: StartSimulatorOptions = {}): Promise<Simulator> {
  const httpRoutes: HttpRoutes = { handle: (_req, res) => void res.writeHead(426).end() }
  const rootKey =
    typeof options.rootKey === 'string' ? simulatorRootKeyFromBase64(options.rootKey) : (options.rootKey ?? generateRootKey())
  const http = createServer((req, res) => httpRoutes.handle(req, res))
  const wss = new WebSocketServer({ server: http, path: '/ws/chat', perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject)
      resolve()
    })
  })
  const media = await MediaHost.start(options.host ?? '127.0.0.1', { urlTtlMs: options.mediaUrlTtlMs, maxUploadBytes: options.maxMediaUploadBytes })
  return new Simulator(http, wss, rootKey, options, media, httpRoutes)
}
