// The history sync the phone sends a newly linked companion. Sources: rc14 Socket/socket.js L36 (the "DANGER…
// INITIAL LID MAPPINGS" warning: the initial history sync carries the LID↔phone mappings), Utils/history.js:L38-78 reads HistorySync.phoneNumberToLidMappings (15)
// and Conversation.pnJid (39) / lidJid (42); Utils/process-message.js:L263-268 stores them), WAProto.proto
// (HistorySyncNotification: fileSha256 1, fileLength 2, mediaKey 3, fileEncSha256 4, directPath 5, syncType 6,
// chunkOrder 7, progress 9, oldestMsgInChunkTimestampSec 10, initialHistBootstrapInlinePayload 11), Baileys'
// SELF_ONLY_TYPES (only the own phone may send it).
//
// What the phone sends, once the new device is online, each as a peer message from its own device 0,
//   <message from="<own pn>@s.whatsapp.net" id type="text" category="peer" t><enc type="pkmsg|msg">…</enc></message>
// whose plaintext is protocolMessage{type: HISTORY_SYNC_NOTIFICATION, historySyncNotification{…}}:
// 1. INITIAL_BOOTSTRAP, chunkOrder 0: the newest conversations with their newest messages, inline
//    (initialHistBootstrapInlinePayload = deflate(HistorySync)), so the chat list shows before any download.
// 2. RECENT, chunkOrder 1…n, progress rising to 100: the older messages (and the conversations left out of the
//    bootstrap), each chunk deflate(HistorySync) encrypted as media of type md-msg-hist (HKDF info "WhatsApp
//    History Keys", rc14 Defaults MEDIA_HKDF_KEY_MAPPING) and uploaded to the media CDN; the notification carries
//    directPath + mediaKey + hashes, and the companion downloads it (rc14 Utils/history.js downloadHistory). Going
//    back in time chunk by chunk; within a conversation newest first (rc14 processHistoryMessage keeps the first
//    message of each conversation as its latest). Baileys completes RECENT at progress 100 (Socket/chats.js).
// The chunk sizes are ours (WhatsApp does not publish them); `sim.seedHistory(…, chunking)` sets them per test.
// 3. PUSH_NAME, right after the bootstrap: the push names (the name each contact gave themselves) of the
//    account's contacts, HistorySync{syncType PUSH_NAME, pushnames [{id, pushname}]} (WAProto HistorySync.pushnames
//    = 7, Pushname {id 1, pushname 2}), as media like a RECENT chunk; rc14 processHistoryMessage turns each into a
//    contact {id, notify} of messaging-history.set (Utils/history.js, case PUSH_NAME), no chats, no messages. The id
//    is the contact's phone JID, or its LID when it hides its number. The bootstrap's Conversation.displayName is
//    the name the owner saved (the address book), a different name (`savedAs`).
// Not modelled: FULL and ON_DEMAND history, app-state patches (the server answers app-state sync with empty
// collections: login.ts).
import { deflateSync } from 'node:zlib'
import { proto } from '@whiskeysockets/baileys'
import { logLink, newMessageId, unixNow, type SimContext } from '../context.ts'
import type { HistoryChunking, HistoryConversation, LinkedDevice, SimUser } from '../device-registry.ts'
import { encryptMedia } from '../media/crypto.ts'
import { deliverToDevice, encryptFor } from './messages.ts'

export const DEFAULT_HISTORY_CHUNKING: HistoryChunking = {
  bootstrapConversations: 50,
  bootstrapMessagesPerConversation: 5,
  messagesPerChunk: 100,
}

type Message = HistoryConversation['messages'][number]

/** A conversation as one chunk carries it: some of its messages, newest first (msgOrderId over the whole conversation). */
interface ChunkPart {
  conversation: HistoryConversation
  messages: { message: Message; order: number }[]
}

function conversationOf({ conversation: c, messages }: ChunkPart): proto.IConversation {
  const other = c.with
  const last = c.messages.reduce((t, m) => Math.max(t, m.at), 0)
  return {
    id: other.lid,
    ...(c.phoneShared ? { pnJid: other.pn } : {}),
    ...(c.savedAs ? { displayName: c.savedAs } : {}),
    lastMsgTimestamp: Math.floor(last / 1000),
    messages: messages.map(({ message: m, order }) => ({
      msgOrderId: order,
      message: {
        key: { remoteJid: other.lid, fromMe: m.fromMe, id: m.id },
        message: { conversation: m.text },
        messageTimestamp: Math.floor(m.at / 1000),
        ...(m.fromMe ? {} : { pushName: other.name }),
      },
    })),
  }
}

function historySync(syncType: proto.HistorySync.HistorySyncType, parts: ChunkPart[], chunkOrder: number, progress: number): proto.IHistorySync {
  return {
    syncType,
    conversations: parts.map(conversationOf),
    phoneNumberToLidMappings: parts.filter(p => p.conversation.phoneShared).map(p => ({ pnJid: p.conversation.with.pn, lidJid: p.conversation.with.lid })),
    chunkOrder,
    progress,
  }
}

/** What `user`'s phone sends a new companion: the bootstrap, then the RECENT chunks in order (exported for tests). */
export function historyChunks(user: SimUser): { bootstrap: proto.IHistorySync; recent: proto.IHistorySync[] } {
  const sizes = { ...DEFAULT_HISTORY_CHUNKING, ...user.historyChunking }
  const newestFirst = (c: HistoryConversation) => [...c.messages].sort((a, b) => b.at - a.at)
    .map((message, i) => ({ message, order: c.messages.length - i }))
  const conversations = [...user.history]
    .sort((a, b) => Math.max(...b.messages.map(m => m.at)) - Math.max(...a.messages.map(m => m.at)))
    .map(conversation => ({ conversation, messages: newestFirst(conversation) }))
  const inBootstrap = conversations.slice(0, sizes.bootstrapConversations)
  const bootstrap = inBootstrap.map(c => ({ conversation: c.conversation, messages: c.messages.slice(0, sizes.bootstrapMessagesPerConversation) }))
  // the rest, going back in time: every message not in the bootstrap, newest first across conversations
  const rest = conversations.flatMap(c => c.messages.slice(inBootstrap.includes(c) ? sizes.bootstrapMessagesPerConversation : 0)
    .map(m => ({ conversation: c.conversation, ...m })))
    .sort((a, b) => b.message.at - a.message.at)
  const chunks: ChunkPart[][] = []
  for (let i = 0; i < rest.length; i += sizes.messagesPerChunk) {
    const parts = new Map<HistoryConversation, ChunkPart>()
    for (const item of rest.slice(i, i + sizes.messagesPerChunk)) {
      const part = parts.get(item.conversation) ?? { conversation: item.conversation, messages: [] }
      part.messages.push({ message: item.message, order: item.order })
      parts.set(item.conversation, part)
    }
    chunks.push([...parts.values()])
  }
  return {
    bootstrap: historySync(proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP, bootstrap, 0, chunks.length ? 0 : 100),
    recent: chunks.map((parts, i) => historySync(proto.HistorySync.HistorySyncType.RECENT, parts, i + 1,
      Math.round(((i + 1) / chunks.length) * 100))),
  }
}

/** The push names `user`'s phone knows for the contacts of its conversations (exported for tests). */
export function pushNames(user: SimUser): proto.IHistorySync {
  return {
    syncType: proto.HistorySync.HistorySyncType.PUSH_NAME,
    pushnames: user.history.map(c => ({ id: c.phoneShared ? c.with.pn : c.with.lid, pushname: c.with.name })),
  }
}

/** The HistorySync payload of a new link of `device`'s account (exported for tests). */
export function initialBootstrap(device: LinkedDevice): proto.IHistorySync {
  return historyChunks(device.user).bootstrap
}

async function sendNotification(ctx: SimContext, device: LinkedDevice, notification: proto.Message.IHistorySyncNotification): Promise<string> {
  const message: proto.IMessage = {
    protocolMessage: { type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION, historySyncNotification: notification },
  }
  const enc = await encryptFor(ctx, device.user, device, message)
  const id = newMessageId()
  deliverToDevice(ctx, device, { tag: 'message', attrs: { from: device.user.pn, id, type: 'text', category: 'peer', t: unixNow() }, content: [enc] })
  return id
}

export async function sendInitialHistorySync(ctx: SimContext, device: LinkedDevice): Promise<void> {
  device.historySyncPending = false
  const user = device.user
  const { bootstrap, recent } = historyChunks(user)
  const id = await sendNotification(ctx, device, {
    syncType: proto.Message.HistorySyncType.INITIAL_BOOTSTRAP,
    chunkOrder: 0,
    progress: bootstrap.progress,
    initialHistBootstrapInlinePayload: deflateSync(proto.HistorySync.encode(bootstrap).finish()),
  })
  if (device.connection) {
    logLink(ctx, device.connection, 'history_sync_sent', {
      id,
      conversations: String(bootstrap.conversations?.length ?? 0),
      mappings: String(bootstrap.phoneNumberToLidMappings?.length ?? 0),
      chunks: String(recent.length),
    })
  }
  if (user.history.length) {
    const names = pushNames(user)
    const enc = encryptMedia(deflateSync(proto.HistorySync.encode(names).finish()), 'md-msg-hist')
    const { directPath } = ctx.media.publish(enc.file)
    const namesId = await sendNotification(ctx, device, {
      fileSha256: enc.fileSha256,
      fileLength: enc.fileLength,
      mediaKey: enc.mediaKey,
      fileEncSha256: enc.fileEncSha256,
      directPath,
      syncType: proto.Message.HistorySyncType.PUSH_NAME,
    })
    if (device.connection) logLink(ctx, device.connection, 'history_push_names_sent', { id: namesId, names: String(names.pushnames?.length ?? 0) })
  }
  for (const chunk of recent) {
    const enc = encryptMedia(deflateSync(proto.HistorySync.encode(chunk).finish()), 'md-msg-hist')
    const { directPath } = ctx.media.publish(enc.file)
    const oldest = Math.min(...(chunk.conversations ?? []).flatMap(c => (c.messages ?? []).map(m => Number(m.message?.messageTimestamp))))
    const chunkId = await sendNotification(ctx, device, {
      fileSha256: enc.fileSha256,
      fileLength: enc.fileLength,
      mediaKey: enc.mediaKey,
      fileEncSha256: enc.fileEncSha256,
      directPath,
      syncType: proto.Message.HistorySyncType.RECENT,
      chunkOrder: chunk.chunkOrder,
      progress: chunk.progress,
      oldestMsgInChunkTimestampSec: oldest,
    })
    if (device.connection) {
      logLink(ctx, device.connection, 'history_chunk_sent', {
        id: chunkId,
        chunkOrder: String(chunk.chunkOrder),
        progress: String(chunk.progress),
        messages: String((chunk.conversations ?? []).reduce((n, c) => n + (c.messages?.length ?? 0), 0)),
        mappings: String(chunk.phoneNumberToLidMappings?.length ?? 0),
      })
    }
  }
}
