import { randomBytes } from 'node:crypto'
import { handleClientChatState } from './rep-actions.ts'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { child, children, connectionState, iqResult, SERVER_JID, unixNow, type SimContext } from '../context.ts'
import type { LinkedDevice } from '../device-registry.ts'
import type { ClientHello, SimConnection } from '../transport/connection.ts'
import { handleClientMessage, handleRetryReceipt, requeueUnacked, sendUntilAcked, unackedKey } from './messages.ts'
import { handleDigest, handleKeyCount, handleKeyFetch, handleKeyUpload } from './prekeys.ts'
import { handleClientReceipt, type SentIndex } from './receipts.ts'
import { sendInitialHistorySync } from './history-sync.ts'
import { handleMexQuery } from './restrictions.ts'
import { handleUsync } from './usync.ts'
import { handleMediaRetryRequest } from '../media/retry.ts'

const PRIVACY = ['last', 'online', 'profile', 'status', 'groupadd', 'readreceipts', 'calladd', 'messages', 'defense']

/** A login payload (username + device) arrived: accept with `<success>`, or refuse as WhatsApp does. */
export function startSession(ctx: SimContext, conn: SimConnection, hello: ClientHello, applyFaults: (d: LinkedDevice, c: SimConnection) => void): void {
  const device = ctx.registry.deviceByNoiseKey(hello.clientStatic)
  if (device) device.logins++
  answerLogin(ctx, conn, hello, applyFaults)
}

function answerLogin(ctx: SimContext, conn: SimConnection, hello: ClientHello, applyFaults: (d: LinkedDevice, c: SimConnection) => void): void {
  const device = ctx.registry.deviceByNoiseKey(hello.clientStatic)
  const username = hello.payload.username?.toString()
  if (!device || device.loggedOut || (username && username !== device.user.phone) || (hello.payload.device ?? 0) !== device.deviceId) {
    conn.endWith({ tag: 'failure', attrs: { reason: '401', location: 'sim' } })
    return
  }
  if (device.refuseConnections) {
    conn.terminate()
    return
  }
  if (device.heldLogins) {
    device.heldLogins.push(() => {
      if (conn.isOpen) answerLogin(ctx, conn, hello, applyFaults)
    })
    return
  }
  const previous = device.connection
  if (previous && previous !== conn && previous.isOpen) {
    previous.endWith({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] })
  }
  const state = connectionState(conn)
  state.kind = 'device'
  state.device = device
  device.connection = conn
  applyFaults(device, conn)
  state.sendRouting = !hello.routingInfo
  conn.send({ tag: 'success', attrs: { t: unixNow(), lid: device.lid, location: 'sim', creation: unixNow() } })
}

/** Flushes messages queued while the device was offline, then `<ib><offline count>`. */
function goOnline(ctx: SimContext, device: LinkedDevice, conn: SimConnection, sendRouting: boolean): void {
  const state = connectionState(conn)
  if (state.online) return
  state.online = true
  requeueUnacked(device) // sent on an earlier socket that this login replaced, never acked
  const queued = device.pending.splice(0)
  for (const stanza of queued) sendUntilAcked(ctx, device, conn, { ...stanza, attrs: { ...stanza.attrs, offline: '1' } })
  conn.send({ tag: 'ib', attrs: { from: SERVER_JID }, content: [{ tag: 'offline', attrs: { count: String(queued.length) } }] })
  if (sendRouting) {
    conn.send({
      tag: 'ib',
      attrs: { from: SERVER_JID },
      content: [{ tag: 'edge_routing', attrs: {}, content: [{ tag: 'routing_info', attrs: {}, content: randomBytes(8) }] }],
    })
  }
  if (device.historySyncPending) {
    // the phone pushes the initial history once the new companion is online (history-sync.ts)
    sendInitialHistorySync(ctx, device).catch(() => {
      ctx.stats.handlerErrors++
    })
  }
}

/**
 * `<iq xmlns="w:sync:app:state" type="set"><sync><collection name version return_snapshot/>…</sync></iq>`: an
 * account without app-state patches. Each requested collection comes back with no patches and no snapshot, which
 * rc14 reads as "done" (Utils/chat-utils.js extractSyncdPatches); without a <collection> per name resyncAppState
 * would ask again forever. The real server's snapshots (external blobs on the media CDN) are not modelled.
 */
function handleAppStateSync(iq: BinaryNode): BinaryNode {
  const collections = children(child(iq, 'sync'), 'collection').map(c => ({
    tag: 'collection',
    attrs: { name: c.attrs.name ?? '', version: c.attrs.version ?? '0' },
  }))
  return iqResult(iq, [{ tag: 'sync', attrs: {}, content: collections }])
}

function handleIq(ctx: SimContext, device: LinkedDevice, conn: SimConnection, iq: BinaryNode): BinaryNode | undefined {
  const { xmlns, type } = iq.attrs
  const first = Array.isArray(iq.content) ? iq.content[0]?.tag : undefined
  switch (xmlns) {
    case 'encrypt':
      if (type === 'get' && first === 'count') return handleKeyCount(device, iq)
      if (type === 'get' && first === 'digest') {
        const reply = handleDigest(device, iq)
        queueMicrotask(() => goOnline(ctx, device, conn, !!connectionState(conn).sendRouting))
        return reply
      }
      if (type === 'get' && first === 'key') return handleKeyFetch(ctx, iq)
      if (type === 'set') return handleKeyUpload(device, iq)
      break
    case 'usync':
      return handleUsync(ctx, iq)
    case 'w:m':
      if (first === 'media_conn') return iqResult(iq, [ctx.media.mediaConnNode()])
      break
    case 'abt':
      return iqResult(iq, [
        {
          tag: 'props',
          attrs: { protocol: '1', hash: 'sim-props-1' },
          content: [{ tag: 'prop', attrs: { config_code: '10518', config_value: 'false' } }],
        },
      ])
    case 'blocklist':
      if (type === 'get') return iqResult(iq, [{ tag: 'list', attrs: {} }])
      break
    case 'privacy':
      if (type === 'get') {
        return iqResult(iq, [
          { tag: 'privacy', attrs: {}, content: PRIVACY.map(name => ({ tag: 'category', attrs: { name, value: 'all' } })) },
        ])
      }
      if (first === 'tokens') {
        const tokens = children(child(iq, 'tokens'), 'token').map(tok => ({
          tag: 'token',
          attrs: { jid: tok.attrs.jid ?? '', t: tok.attrs.t ?? unixNow(), type: 'trusted_contact' },
          content: randomBytes(16),
        }))
        return iqResult(iq, [{ tag: 'tokens', attrs: {}, content: tokens }])
      }
      break
    case 'w:mex':
      return handleMexQuery(ctx, device, iq)
    case 'w:sync:app:state':
      return handleAppStateSync(iq)
    case 'md':
      if (first === 'remove-companion-device') {
        ctx.registry.removeDevice(device)
        setTimeout(() => conn.close(), 50)
      }
      break
  }
  return iqResult(iq)
}

/** Every stanza from a logged-in linked device. */
export async function handleDeviceNode(ctx: SimContext, conn: SimConnection, node: BinaryNode, sent: SentIndex): Promise<void> {
  const state = connectionState(conn)
  const device = state.device!
  ctx.stats.stanzasIn++
  switch (node.tag) {
    case 'iq': {
      if (node.attrs.type === 'result' || node.attrs.type === 'error') {
        state.replies.get(node.attrs.id ?? '')?.(node)
        return
      }
      const reply = handleIq(ctx, device, conn, node)
      if (reply) conn.send(reply)
      if (node.attrs.xmlns === 'passive' && !state.online) {
        // a client whose digest query fails still gets its offline queue
        setTimeout(() => goOnline(ctx, device, conn, !!state.sendRouting), 3000).unref()
      }
      return
    }
    case 'message':
      await handleClientMessage(ctx, device, node, sent)
      return
    case 'receipt':
      if (node.attrs.type === 'server-error') return handleMediaRetryRequest(ctx, device, node)
      handleClientReceipt(ctx, device, node, sent)
      if (node.attrs.type === 'retry') await handleRetryReceipt(ctx, device, node)
      return
    case 'ack':
      device.unacked.delete(unackedKey(node.attrs.class ?? '', node.attrs.id, node.attrs.type))
      return
    case 'chatstate':
      handleClientChatState(ctx, device.user, node)
      return
    default:
      // presence, ib (unified_session, offline_batch): nothing to answer
      return
  }
}
