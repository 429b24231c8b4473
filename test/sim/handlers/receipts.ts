import type { BinaryNode } from '@whiskeysockets/baileys'
import { SERVER_JID, unixNow, type SimContext } from '../context.ts'
import type { LinkedDevice, SimUser } from '../device-registry.ts'
import { deliverToDevice, unackedKey } from './messages.ts'

/** Where a message a linked device sent came from, so receipts can go back to it. */
export interface SentRecord {
  sender: LinkedDevice
  /** the stanza's `to`: receipts carry it as `from` so Baileys' update key matches the sent key */
  to: string
  recipient: SimUser
}

const MAX_TRACKED = 20_000

export class SentIndex {
  private readonly map = new Map<string, SentRecord>()
  set(id: string, rec: SentRecord): void {
    if (this.map.size >= MAX_TRACKED) this.map.delete(this.map.keys().next().value!)
    this.map.set(id, rec)
  }
  get(id: string): SentRecord | undefined {
    return this.map.get(id)
  }
}

/**
 * Delivery ('delivered') or read receipt from a simulated phone to the linked device that sent `id`. Like the real
 * server, a receipt for a device that is offline waits in its offline queue and arrives at its next login (before
 * `<ib><offline>`): a client that crashed learns from it that the message got there. Returns false when queued.
 */
export function sendReceiptToSender(ctx: SimContext, rec: SentRecord, id: string, type: 'delivered' | 'read'): boolean {
  const attrs: Record<string, string> = { from: rec.to, id, t: unixNow() }
  if (type === 'read') attrs.type = 'read'
  const sent = deliverToDevice(ctx, rec.sender, { tag: 'receipt', attrs })
  if (!sent) ctx.stats.receiptsQueued++
  return sent
}

/** A linked device acknowledged a message from a simulated phone: `<receipt id to [type]>`. */
export function handleClientReceipt(ctx: SimContext, device: LinkedDevice, node: BinaryNode, sent: SentIndex): void {
  const { id, to, type } = node.attrs
  const ids = id ? [id] : []
  const list = Array.isArray(node.content) ? node.content.find(c => c.tag === 'list') : undefined
  if (list && Array.isArray(list.content)) for (const item of list.content) if (item.attrs.id) ids.push(item.attrs.id)
  // the device's receipt for a message is its acknowledgement: the server stops keeping it for redelivery
  for (const mid of ids) device.unacked.delete(unackedKey('message', mid))
  if (id && to && type !== 'sender' && type !== 'retry') {
    const phone = ctx.registry.userForJid(to)
    if (phone) {
      const read = type === 'read' || type === 'read-self'
      for (const mid of ids) {
        if (read || phone.receiptsReceived.get(mid) !== 'read') phone.receiptsReceived.set(mid, read ? 'read' : 'delivered')
        // a receipt for a message another linked device sent goes back to that device
        const rec = sent.get(mid)
        if (rec && rec.sender !== device) sendReceiptToSender(ctx, rec, mid, read ? 'read' : 'delivered')
      }
      for (const w of phone.waiters) w()
    }
  }
  device.connection?.send({
    tag: 'ack',
    attrs: { class: 'receipt', id: id ?? '', from: to ?? SERVER_JID, ...(type ? { type } : {}) },
  })
}
