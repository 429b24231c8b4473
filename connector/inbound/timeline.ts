// What happens to messages after they arrived, as Baileys reports it (rc14 Utils/process-message.js):
// an edit (MESSAGE_EDIT) and a delete for everyone (REVOKE) are `messages.update` entries keyed by the
// edited message's id, with the author's side in key.fromMe; a reaction is `messages.reaction`, keyed by the
// message reacted to (from our perspective), reaction.key being the reactor's side. Receipts of our own
// sends are also `messages.update` entries: the dispatcher handles those.
import { isJidGroup, type BaileysEventMap, type proto } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { Store } from '../store/index.ts';
import type { SessionConnection } from '../whatsapp/index.ts';
import { textOf, toNumber } from './extract.ts';
import type { InboundRecorder } from './recorder.ts';

const REVOKE_STUB = 1; // proto.WebMessageInfo.StubType.REVOKE

const secondsToDate = (value: unknown): Date => {
  const seconds = toNumber(value);
  return seconds > 0 ? new Date(seconds * 1000) : new Date();
};

export class TimelineRecorder {
  constructor(private readonly deps: { store: Store; logger: Logger; contacts: InboundRecorder }) {}

  async onUpdates(conn: SessionConnection, updates: BaileysEventMap['messages.update']): Promise<void> {
    const { timeline } = this.deps.store;
    for (const { key, update } of updates) {
      if (!key.id || !key.remoteJid || isJidGroup(key.remoteJid)) continue;
      const fromMe = Boolean(key.fromMe);
      const edited = update.message?.editedMessage?.message as proto.IMessage | null | undefined;
      if (edited) {
        const text = textOf(edited.protocolMessage?.editedMessage ?? edited);
        if (text !== null) await timeline.recordEdit(conn.sessionId, key.id, fromMe, text, secondsToDate(update.messageTimestamp));
      } else if (update.messageStubType === REVOKE_STUB) {
        await timeline.recordDeletion(conn.sessionId, key.id, fromMe, new Date());
      }
    }
  }

  async onReactions(conn: SessionConnection, reactions: BaileysEventMap['messages.reaction']): Promise<void> {
    for (const { key, reaction } of reactions) {
      if (!key.id || !key.remoteJid || isJidGroup(key.remoteJid)) continue;
      const reactorFromMe = Boolean(reaction.key?.fromMe);
      // Our own reaction rows are recorded when they reach WhatsApp (apply_outbound_action, with the row's
      // sent_at); their echo (emitOwnEvents) would record it a second time, with another time, and so raise
      // a second message.updated. A reaction typed on the phone has an id we never sent.
      if (reactorFromMe && reaction.key?.id && (await this.deps.store.messages.isOwnOutbound(conn.sessionId, reaction.key.id))) continue;
      const contact = await this.deps.contacts.contactFor(conn, key, null);
      const ms = toNumber(reaction.senderTimestampMs);
      await this.deps.store.timeline.recordReaction(conn.sessionId, key.id, reactorFromMe, contact?.id ?? null,
        reaction.text ?? '', ms > 0 ? new Date(ms) : new Date());
    }
  }
}
