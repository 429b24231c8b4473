import { normalizePhone, type ReceiptMode, type RecordedMessage, type SimUser } from './device-registry.ts'
import type { SimContext } from './context.ts'
import { proto } from '@whiskeysockets/baileys'
import { keepMedia, sendFromPhone } from './handlers/messages.ts'
import { sendAdLead } from './handlers/placeholders.ts'
import { buildMediaMessage, recordedFromInput, type MediaInput } from './media/phone-media.ts'
import { sendReceiptToSender, type SentIndex } from './handlers/receipts.ts'
import { contactView, type ContactView } from './handlers/rep-actions.ts'

export type MessageMatcher = { id?: string; text?: string; from?: string } | ((m: RecordedMessage) => boolean)

export interface ContactOptions {
  name?: string
  /** which receipts this phone sends automatically for messages it receives (default 'read') */
  receipts?: ReceiptMode
}

function matches(m: RecordedMessage, matcher: MessageMatcher): boolean {
  if (typeof matcher === 'function') return matcher(m)
  if (matcher.id !== undefined && m.id !== matcher.id) return false
  if (matcher.text !== undefined && m.text !== matcher.text) return false
  if (matcher.from !== undefined && m.from !== `+${normalizePhone(matcher.from)}`) return false
  return true
}

/**
 * The phone (device 0) of a WhatsApp account in the simulator: a contact that writes to linked accounts,
 * or a linked account's own phone (its sends show up on the account's linked devices as fromMe).
 */
export class SimContact {
  constructor(
    private readonly ctx: SimContext,
    private readonly user: SimUser,
    private readonly sent: SentIndex,
  ) {}

  get phone(): string {
    return `+${this.user.phone}`
  }
  get jid(): string {
    return this.user.pn
  }
  get lid(): string {
    return this.user.lid
  }
  get name(): string {
    return this.user.name
  }

  setReceipts(mode: ReceiptMode): this {
    this.user.receipts = mode
    return this
  }

  /** false: this phone's messages carry its LID only (no sender_pn), as for contacts that hide their number. */
  setSharesPhone(shares: boolean): this {
    this.user.sharesPhone = shares
    return this
  }

  setName(name: string): this {
    this.user.name = name
    return this
  }

  /**
   * Sends a text from this phone; returns the WhatsApp message id. Pass `id` to replay a message, `addressing: 'pn'`
   * to address it by phone JID (with sender_lid) instead of by LID.
   */
  async sendText(to: string, text: string, opts: { id?: string; addressing?: 'lid' | 'pn' } = {}): Promise<string> {
    return sendFromPhone(this.ctx, this.user, this.recipient(to), text, opts.id, opts.addressing)
  }

  /**
   * A click-to-WhatsApp ad lead: linked devices get a placeholder ("Message absent from node") and the content
   * only when they ask the phone to resend it; `resendable: false`, the phone never answers (it stays pending).
   */
  sendAdLead(to: string, text: string, opts: { id?: string; resendable?: boolean } = {}): string {
    return sendAdLead(this.ctx, this.user, this.recipient(to), text, opts)
  }

  /** Edits a message this phone sent to `to` (protocolMessage MESSAGE_EDIT). */
  async editMessage(to: string, id: string, text: string): Promise<string> {
    const recipient = this.recipient(to)
    return sendFromPhone(this.ctx, this.user, recipient, { text: '', message: { protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT, key: { remoteJid: recipient.pn, fromMe: true, id },
      editedMessage: { conversation: text }, timestampMs: Date.now() } } })
  }

  /** Deletes a message this phone sent to `to` for everyone (protocolMessage REVOKE). */
  async deleteForEveryone(to: string, id: string): Promise<string> {
    const recipient = this.recipient(to)
    return sendFromPhone(this.ctx, this.user, recipient, { text: '', message: { protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.REVOKE, key: { remoteJid: recipient.pn, fromMe: true, id } } } })
  }

  /** Reacts to a message of the chat with `to` (`mine`: one this phone sent); '' removes the reaction. */
  async react(to: string, id: string, emoji: string, opts: { mine?: boolean } = {}): Promise<string> {
    const recipient = this.recipient(to)
    return sendFromPhone(this.ctx, this.user, recipient, { text: '', message: { reactionMessage: {
      key: { remoteJid: recipient.pn, fromMe: Boolean(opts.mine), id }, text: emoji, senderTimestampMs: Date.now() } } })
  }

  private recipient(to: string): SimUser {
    const recipient = this.ctx.registry.user(to)
    if (!recipient) throw new Error(`${to} is not on WhatsApp`)
    return recipient
  }

  /**
   * Sends an encrypted media message (image, video, audio, voice note, document, sticker): the file is encrypted
   * with a fresh media key and put on the simulator's media host; the message carries url, directPath and the
   * keys, as a real phone's does. Returns the WhatsApp message id and the direct path (to expire it in tests).
   */
  async sendMedia(to: string, input: MediaInput, opts: { id?: string } = {}): Promise<{ id: string; directPath: string }> {
    const recipient = this.ctx.registry.user(to)
    if (!recipient) throw new Error(`${to} is not on WhatsApp`)
    const { message, kept } = buildMediaMessage(this.ctx.media, input)
    const id = await sendFromPhone(this.ctx, this.user, recipient, { message, text: input.caption ?? '', media: recordedFromInput(input) }, opts.id)
    keepMedia(this.user, id, kept) // the sender's phone, and the recipient's phone, have the file
    keepMedia(recipient, id, kept)
    const part = Object.values(message)[0] as { directPath: string }
    return { id, directPath: part.directPath }
  }

  /** This phone deletes its copy of a message's media: a media-retry request for it then answers NOT_FOUND. */
  forgetMedia(id: string): this {
    this.user.media.delete(id)
    this.user.mediaRetryRefused.add(id)
    return this
  }

  /**
   * This phone loses its Signal sessions (reinstalled, or restored from a backup) and goes quiet: the next message
   * a linked device encrypts with its old session cannot be decrypted ("Waiting for this message" on the phone).
   * The retry receipt it owes is held until answerRetries(), as when the phone is away for a while, so the sender
   * must resend from what it kept (Baileys' getMessage), not from a socket's memory.
   */
  loseSignalSessions(): this {
    this.user.peer.forgetSessions()
    this.user.heldRetries = []
    return this
  }

  /** The phone is back: it sends the retry receipts it held (the sender then sends those messages again). */
  answerRetries(): number {
    const held = this.user.heldRetries ?? []
    this.user.heldRetries = null
    for (const ask of held) ask()
    return held.length
  }

  /** Messages this phone received (decrypted), oldest first. */
  received(): RecordedMessage[] {
    return [...this.user.inbox]
  }

  /** How many times a message id arrived (duplicate detection). */
  receivedCount(id: string): number {
    return this.user.inboxCount.get(id) ?? 0
  }

  /** Copies of what this account's linked devices sent to others (DeviceSentMessage, decrypted by the phone). */
  sentFromLinkedDevices(): RecordedMessage[] {
    return [...this.user.sentCopies]
  }

  /** The receipt a linked device sent for a message from this phone. */
  receiptFor(id: string): 'delivered' | 'read' | undefined {
    return this.user.receiptsReceived.get(id)
  }

  /** Sends a delivery or read receipt for a message a linked device sent to this phone: now, or queued until that device logs in again (then false). */
  sendReceipt(id: string, type: 'delivered' | 'read'): boolean {
    const rec = this.sent.get(id)
    if (!rec) throw new Error(`unknown message id ${id}`)
    return sendReceiptToSender(this.ctx, rec, id, type)
  }

  waitForMessage(matcher: MessageMatcher, opts: { timeoutMs?: number } = {}): Promise<RecordedMessage> {
    return this.waitFor(() => this.user.inbox.find(m => matches(m, matcher)), opts.timeoutMs, 'message')
  }

  waitForSentCopy(matcher: MessageMatcher, opts: { timeoutMs?: number } = {}): Promise<RecordedMessage> {
    return this.waitFor(() => this.user.sentCopies.find(m => matches(m, matcher)), opts.timeoutMs, 'sent copy')
  }

  waitForReceipt(id: string, type: 'delivered' | 'read' = 'delivered', opts: { timeoutMs?: number } = {}): Promise<'delivered' | 'read'> {
    return this.waitFor(() => {
      const r = this.user.receiptsReceived.get(id)
      return r && (type === 'delivered' || r === 'read') ? r : undefined
    }, opts.timeoutMs, `${type} receipt for ${id}`)
  }

  /** What this phone shows of linked devices' actions TO it: typing, reactions, edits, deletes for everyone, quotes. */
  repActions(): ContactView {
    return contactView(this.user)
  }

  /** Resolves once `probe` returns a value; re-checked whenever this phone records something. */
  waitUntil<T>(probe: () => T | undefined, what: string, opts: { timeoutMs?: number } = {}): Promise<T> {
    return this.waitFor(probe, opts.timeoutMs, what)
  }

  /** Resolves when `count` messages have arrived in total. */
  waitForCount(count: number, opts: { timeoutMs?: number } = {}): Promise<RecordedMessage[]> {
    return this.waitFor(() => (this.user.inbox.length >= count ? this.received() : undefined), opts.timeoutMs, `${count} messages`)
  }

  private waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000, what: string): Promise<T> {
    const found = probe()
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe()
        if (v === undefined) return
        cleanup()
        resolve(v)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`${this.phone}: no ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.user.waiters.delete(check)
      }
      this.user.waiters.add(check)
    })
  }
}
