// The history sync the phone sends a newly linked companion. Sources: whatsapp-2026.md §4 (history sync carries
// the initial LID↔phone mappings; rc14 Utils/history.js:L38-78 reads HistorySync.phoneNumberToLidMappings (15)
// and Conversation.pnJid (39) / lidJid (42); Utils/process-message.js:L263-268 stores them), WAProto.proto
// (HistorySyncNotification.initialHistBootstrapInlinePayload = 11: the INITIAL_BOOTSTRAP chunk travels inline,
// zlib-deflated, so no media download), Baileys' SELF_ONLY_TYPES (only the own phone may send it).
//
// What the phone sends, once the new device is online: a peer message from its own device 0,
//   <message from="<own pn>@s.whatsapp.net" id type="text" category="peer" t><enc type="pkmsg">…</enc></message>
// whose plaintext is protocolMessage{type: HISTORY_SYNC_NOTIFICATION, historySyncNotification{syncType:
// INITIAL_BOOTSTRAP, initialHistBootstrapInlinePayload: deflate(HistorySync{conversations, phoneNumberToLidMappings})}}.
// Not modelled: RECENT and FULL chunks (real WhatsApp uploads them to the media CDN: directPath + mediaKey),
// PUSH_NAME, app-state patches (the server answers app-state sync with empty collections: login.ts).
import { deflateSync } from 'node:zlib'
import { proto } from '@whiskeysockets/baileys'
import { logLink, newMessageId, unixNow, type SimContext } from '../context.ts'
import type { HistoryConversation, LinkedDevice } from '../device-registry.ts'
import { deliverToDevice, encryptFor } from './messages.ts'

function conversationOf(c: HistoryConversation): proto.IConversation {
  const other = c.with
  const messages: proto.IHistorySyncMsg[] = c.messages.map((m, i) => ({
    msgOrderId: i + 1,
    message: {
      key: { remoteJid: other.lid, fromMe: m.fromMe, id: m.id },
      message: { conversation: m.text },
      messageTimestamp: Math.floor(m.at / 1000),
      ...(m.fromMe ? {} : { pushName: other.name }),
    },
  }))
  const last = c.messages.reduce((t, m) => Math.max(t, m.at), 0)
  return {
    id: other.lid,
    ...(c.phoneShared ? { pnJid: other.pn } : {}),
    displayName: other.name,
    lastMsgTimestamp: Math.floor(last / 1000),
    messages,
  }
}

/** The HistorySync payload of a new link of `device`'s account (exported for tests). */
export function initialBootstrap(device: LinkedDevice): proto.IHistorySync {
  const history = device.user.history
  return {
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations: history.map(conversationOf),
    phoneNumberToLidMappings: history.filter(c => c.phoneShared).map(c => ({ pnJid: c.with.pn, lidJid: c.with.lid })),
    chunkOrder: 0,
    progress: 100,
  }
}

export async function sendInitialHistorySync(ctx: SimContext, device: LinkedDevice): Promise<void> {
  device.historySyncPending = false
  const user = device.user
  const payload = deflateSync(proto.HistorySync.encode(initialBootstrap(device)).finish())
  const message: proto.IMessage = {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: proto.Message.HistorySyncType.INITIAL_BOOTSTRAP,
        chunkOrder: 0,
        progress: 100,
        initialHistBootstrapInlinePayload: payload,
      },
    },
  }
  const enc = await encryptFor(ctx, user, device, message)
  const id = newMessageId()
  deliverToDevice(ctx, device, { tag: 'message', attrs: { from: user.pn, id, type: 'text', category: 'peer', t: unixNow() }, content: [enc] })
  if (device.connection) {
    logLink(ctx, device.connection, 'history_sync_sent', {
      id,
      conversations: String(user.history.length),
      mappings: String(user.history.filter(c => c.phoneShared).length),
    })
  }
}
