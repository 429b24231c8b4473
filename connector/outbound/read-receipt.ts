// A 'read' row (the rep read the chat up to its target, migration 20261207004400): WhatsApp's read receipt for
// the chat's received messages not yet read, through Baileys rc14 `readMessages` (one <receipt type="read"> per
// chat with the ids in a <list>; type "read-self" when the account turned read receipts off, so the contact sees
// no blue ticks, as on the phone). Resending one is harmless, so a retry after a lost socket simply sends it again.
// Not paced and not a reach-out: no typing, no restriction hold. The server acks receipts, but Baileys does not
// wait for that ack: the row counts as sent once the stanza is written.
import type { WASocket } from '@whiskeysockets/baileys';
import type { OutboundRow, Store } from '../store/index.ts';

export const isReadReceipt = (row: Pick<OutboundRow, 'content_type'>) => row.content_type === 'read';

/** Sends the receipt; returns how many message ids it carried (0: nothing left unread, nothing sent). */
export async function sendReadReceipt(sock: WASocket, store: Store, row: OutboundRow): Promise<number> {
  const unread = await store.messages.unreadUpTo(row.session_id, row.target_wa_message_id!);
  if (unread.length === 0) return 0;
  await sock.readMessages(unread.map((m) => ({ remoteJid: m.chatJid, id: m.waMessageId, fromMe: false })));
  return unread.length;
}
