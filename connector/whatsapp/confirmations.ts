// What WhatsApp confirmed, read from raw frames as they arrive (before Baileys' buffered events and
// before our own async database writes): server acks settle the waiting sends, and every id that got a
// server ack or a receipt is remembered, so a retry never sends again what WhatsApp already has.
// Raw frame handlers run in arrival order, so once `<ib><offline>` is seen every receipt WhatsApp kept
// for us while we were away has been recorded here.
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { AckWaiters } from './ack-waiters.ts';
import type { WASocket } from './socket-options.ts';

/**
 * Bounded, insertion-ordered set of (session, WhatsApp message id) that WhatsApp confirmed having. One per
 * process, shared by every socket of a session: a socket replaced after a lease loss or a reconnect must
 * still know what the previous one had confirmed.
 */
export class ConfirmedIds {
  private readonly keys = new Set<string>();
  constructor(private readonly max = 100_000) {}

  add(sessionId: string, id: string | undefined): void {
    if (!id) return;
    const key = `${sessionId}/${id}`;
    if (this.keys.has(key)) return;
    if (this.keys.size >= this.max) this.keys.delete(this.keys.values().next().value!);
    this.keys.add(key);
  }

  has(sessionId: string, id: string): boolean {
    return this.keys.has(`${sessionId}/${id}`);
  }
}

export function watchConfirmations(sock: WASocket, acks: AckWaiters, confirm: (id: string | undefined) => void, offlineDone: () => void): void {
  sock.ws.on('CB:ack,class:message', (node: BinaryNode) => {
    if (!node.attrs.error) confirm(node.attrs.id);
    acks.settle(node.attrs.id, node.attrs.error);
  });
  sock.ws.on('CB:receipt', (node: BinaryNode) => {
    if (node.attrs.type === 'server-error') return;
    confirm(node.attrs.id);
    const list = Array.isArray(node.content) ? node.content.find((c) => c.tag === 'list') : undefined;
    if (list && Array.isArray(list.content)) for (const item of list.content) confirm(item.attrs.id);
  });
  sock.ws.on('CB:ib,,offline', () => offlineDone());
}
