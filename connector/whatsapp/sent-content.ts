// What we sent under a WhatsApp id, kept as JSON (outbound_sent_content) so that a retry receipt reaching a later
// socket can be answered: Baileys resends the same id with what getMessage returns (rc14 Socket/messages-recv.js
// sendMessagesAgain: its in-memory recent-message cache first, then getMessage).
import { proto } from '@whiskeysockets/baileys';

/** WAProto Message → JSON (bytes as base64, longs as numbers). */
export function sentContentJson(message: proto.IMessage): Record<string, unknown> {
  return proto.Message.toObject(proto.Message.fromObject(message), { bytes: String, longs: Number }) as Record<string, unknown>;
}

/** The kept JSON back as the message Baileys resends. */
export function messageFromSentContent(json: Record<string, unknown>): proto.IMessage {
  return proto.Message.fromObject(json);
}
