// Which history syncs a session accepts (Baileys' `shouldSyncHistoryMessage`). Today's WhatsApp sends a new link its
// initial history sync, which carries the LID↔phone mappings (WAProto.proto HistorySync.phoneNumberToLidMappings =
// 15, Conversation.pnJid/lidJid): rc14 reads them in Utils/history.js (L45) and stores them as lid-mapping keys
// (Utils/process-message.js storeLIDPNMappings) before emitting messaging-history.set. `() => false` threw them away
// (rc14 Socket/socket.js L33-36 then logs "DANGER: DISABLING ALL SYNC BY shouldSyncHistoryMsg PREVENTS BAILEYS FROM
// ACCESSING INITIAL LID MAPPINGS"). FULL history (the phone's whole archive) is never asked for; every other kind is
// accepted, which is rc14's own default (Defaults/index.js L65-67). Importing the messages is inbound's call.
import { proto } from '@whiskeysockets/baileys';

// the notification's enum (Message.HistorySyncType), a superset of HistorySync.HistorySyncType
const Type = proto.Message.HistorySyncType;

/** The kinds a session accepts: the bootstrap and recent chats (mappings, contacts), push names, status, on demand. */
export const ACCEPTED_HISTORY_SYNC_TYPES: ReadonlySet<proto.Message.HistorySyncType> = new Set([
  Type.INITIAL_BOOTSTRAP,
  Type.INITIAL_STATUS_V3,
  Type.RECENT,
  Type.PUSH_NAME,
  Type.NON_BLOCKING_DATA,
  Type.ON_DEMAND,
]);

/**
 * Baileys' `shouldSyncHistoryMessage`: the six kinds above, i.e. every kind rc14 processes (PROCESSABLE_HISTORY_TYPES)
 * but FULL. NO_HISTORY and MESSAGE_ACCESS_STATUS carry no history and rc14 ignores them whatever this says; a
 * notification without a type is refused.
 */
export function shouldSyncHistoryMessage({ syncType }: Pick<proto.Message.IHistorySyncNotification, 'syncType'>): boolean {
  return syncType != null && ACCEPTED_HISTORY_SYNC_TYPES.has(syncType);
}
