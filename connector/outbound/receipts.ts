// What WhatsApp said about messages we sent (Baileys messages.update): a server ack or any receipt (status >= 2)
// settles the send waiting for its ack; delivery (3) and read (4, played 5) receipts move the row on.
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import type { OutboundReceipt } from '../store/index.ts';
import type { SessionConnection } from '../whatsapp/index.ts';

/** Settles the acks in `updates` on `conn`; returns the delivery and read receipts to record. */
export function receiptsOf(conn: SessionConnection, updates: BaileysEventMap['messages.update']): OutboundReceipt[] {
  const receipts: OutboundReceipt[] = [];
  for (const { key, update } of updates) {
    if (!key.fromMe || !key.id || typeof update.status !== 'number') continue;
    if (update.status >= 2) conn.acks.settle(key.id); // a server ack or receipt: WhatsApp has it
    const status = update.status >= 4 ? 'read' : update.status === 3 ? 'delivered' : null;
    if (status) receipts.push({ sessionId: conn.sessionId, waMessageId: key.id, status });
  }
  return receipts;
}
