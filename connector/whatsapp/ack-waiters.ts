// Server acks for the messages one socket sent. Baileys' sendMessage resolves when the frame is handed to
// the socket, not when WhatsApp has it: a row is only `sent` once `<ack class="message" id=…>` (or a
// delivery/read receipt) arrives. A socket that closes first rejects every waiter, so the row is retried.

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class AckWaiters {
  private readonly waiters = new Map<string, Waiter[]>();
  private closed: Error | null = null;

  /** Register BEFORE sending: on loopback the ack can arrive before sendMessage resolves. */
  wait(id: string): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<void>((resolve, reject) => {
      const list = this.waiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(id, list);
    });
  }

  /** The server acked this id (error = the ack's error attribute, if any). */
  settle(id: string | undefined, error?: string): void {
    if (!id) return;
    const list = this.waiters.get(id);
    if (!list) return;
    this.waiters.delete(id);
    for (const w of list) {
      if (error) w.reject(Object.assign(new Error(`WhatsApp refused the message (ack error ${error})`), { code: 'ack_error' }));
      else w.resolve();
    }
  }

  /** Forget a waiter that is no longer wanted (send failed or timed out). */
  forget(id: string): void {
    this.waiters.delete(id);
  }

  closeAll(reason: string): void {
    this.closed ??= Object.assign(new Error(reason), { code: 'connection_closed' });
    const lists = [...this.waiters.values()];
    this.waiters.clear();
    for (const list of lists) for (const w of list) w.reject(this.closed);
  }
}
