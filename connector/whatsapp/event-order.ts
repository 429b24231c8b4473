// The order a session's Baileys events are handled in. Message events are handled one after another, in the
// order Baileys emitted them: handled side by side, a burst of one contact's messages was stored out of order
// (a later one committed first), and an edit or a reaction could be handled before the message it refers to
// was stored. Connection and creds events never wait behind them, nor does a history sync (it can be large;
// its rows are imported, not live).
import type { BaileysEventMap } from '@whiskeysockets/baileys';

const UNORDERED: ReadonlySet<keyof BaileysEventMap> = new Set(['connection.update', 'creds.update', 'messaging-history.set']);

export class EventOrder {
  private tail: Promise<unknown> = Promise.resolve();

  handle(event: keyof BaileysEventMap, run: () => unknown, onError: (error: unknown) => void): void {
    if (UNORDERED.has(event)) {
      Promise.resolve().then(run).catch(onError);
      return;
    }
    this.tail = this.tail.then(run).catch(onError);
  }
}
