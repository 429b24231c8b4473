import { decodeBinaryNode, encodeBinaryNode, type BinaryNode, type proto } from '@whiskeysockets/baileys'
import type { WebSocket } from 'ws'
import type { KeyPair } from '../certificate.ts'
import { encodeFrame, FrameReader, NOISE_PROLOGUE } from './frames.ts'
import { NoiseServerHandshake, type TransportCipher } from './noise.ts'

export interface ClientHello {
  clientStatic: Buffer
  payload: proto.ClientPayload
  routingInfo: Buffer | undefined
}

export interface ConnectionHandlers {
  onLogin(conn: SimConnection, hello: ClientHello): void
  onNode(conn: SimConnection, node: BinaryNode): Promise<void>
  onClose(conn: SimConnection): void
  /** a stanza handler threw: counted, the socket stays up (a real server does not hang up on its own bugs) */
  onError(conn: SimConnection, err: unknown): void
}

/** Fault knobs applied to one live connection (see faults.ts). */
export interface LinkFaults {
  /** delay every outgoing stanza by this many ms (order kept) */
  delayMs: number
  /** how many stanzas to drop instead of sending (out) / handling (in); Infinity = until cleared */
  dropOut: number
  dropIn: number
  /** when set, only stanzas with this tag are dropped (e.g. 'message', 'receipt') */
  dropTag?: string
}

let nextConnectionId = 1

/** One client WebSocket: Noise handshake, then binary nodes in both directions, handled strictly in order. */
export class SimConnection {
  readonly id = nextConnectionId++
  /** the linked device or pairing attempt this socket belongs to (set by the server after the handshake) */
  context: unknown
  readonly faults: LinkFaults = { delayMs: 0, dropOut: 0, dropIn: 0 }
  private readonly reader = new FrameReader()
  private handshake: NoiseServerHandshake | undefined
  private transport: TransportCipher | undefined
  private chain: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    private readonly ws: WebSocket,
    staticKey: KeyPair,
    certChain: Uint8Array,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.handshake = new NoiseServerHandshake(staticKey, certChain, NOISE_PROLOGUE)
    ws.on('message', (data: Buffer) => this.onData(data))
    ws.on('close', () => this.markClosed())
    ws.on('error', () => this.close())
  }

  get isOpen(): boolean {
    return !this.closed
  }

  private onData(data: Buffer): void {
    if (this.closed) return
    let frames: Buffer[]
    try {
      frames = this.reader.push(Buffer.isBuffer(data) ? data : Buffer.from(data))
    } catch {
      this.close()
      return
    }
    for (const frame of frames) this.onFrame(frame)
  }

  private onFrame(frame: Buffer): void {
    if (this.transport) {
      let plain: Buffer
      try {
        plain = this.transport.decrypt(frame)
      } catch {
        this.close()
        return
      }
      this.chain = this.chain.then(async () => {
        if (this.closed) return
        const node = await decodeBinaryNode(plain)
        if (this.faults.dropIn > 0 && (!this.faults.dropTag || this.faults.dropTag === node.tag)) {
          this.faults.dropIn--
          return
        }
        await this.handlers.onNode(this, node).catch(err => this.handlers.onError(this, err))
      }).catch(() => this.close())
      return
    }
    const hs = this.handshake
    if (!hs) return
    try {
      if (!this.sentHello) {
        this.sentHello = true
        this.ws.send(encodeFrame(hs.respond(frame)))
      } else {
        const { clientStatic, payload, transport } = hs.finish(frame)
        this.transport = transport
        this.handshake = undefined
        this.handlers.onLogin(this, { clientStatic, payload, routingInfo: this.reader.routingInfo })
      }
    } catch {
      this.close()
    }
  }

  private sentHello = false
  private outQueue: { node: BinaryNode; due: number }[] = []
  private outTimer: NodeJS.Timeout | undefined

  /** Encrypts and sends a stanza (honours the delay / drop faults). */
  send(node: BinaryNode): void {
    if (this.closed || !this.transport) return
    if (this.faults.dropOut > 0 && (!this.faults.dropTag || this.faults.dropTag === node.tag)) {
      this.faults.dropOut--
      return
    }
    if (this.faults.delayMs <= 0 && this.outQueue.length === 0) {
      this.write(node)
      return
    }
    this.outQueue.push({ node, due: Date.now() + this.faults.delayMs })
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (this.outTimer || this.outQueue.length === 0) return
    const wait = Math.max(0, this.outQueue[0]!.due - Date.now())
    this.outTimer = setTimeout(() => {
      this.outTimer = undefined
      const now = Date.now()
      while (this.outQueue.length && this.outQueue[0]!.due <= now) this.write(this.outQueue.shift()!.node)
      this.scheduleFlush()
    }, wait)
  }

  private write(node: BinaryNode): void {
    if (this.closed || !this.transport) return
    this.ws.send(encodeFrame(this.transport.encrypt(encodeBinaryNode(node))))
  }

  /** Sends a final stanza (stream:error, failure) immediately, bypassing faults, then closes. */
  endWith(node: BinaryNode): void {
    if (this.closed) return
    this.outQueue = []
    this.write(node)
    this.closeSoon()
  }

  private closeSoon(): void {
    // let the final frame leave before the close frame; Baileys ignores the close code
    setTimeout(() => this.close(), 20)
  }

  close(): void {
    if (this.closed) return
    this.ws.close()
    setTimeout(() => this.ws.terminate(), 1000).unref()
    this.markClosed()
  }

  /** Drops the TCP connection without a WebSocket close handshake. */
  terminate(): void {
    this.ws.terminate()
    this.markClosed()
  }

  private markClosed(): void {
    if (this.closed) return
    this.closed = true
    this.outQueue = []
    if (this.outTimer) clearTimeout(this.outTimer)
    this.handlers.onClose(this)
  }
}
