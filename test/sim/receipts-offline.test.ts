import { afterEach, describe, expect, it } from 'vitest'
import type { BinaryNode, WAMessageUpdate } from '@whiskeysockets/baileys'
import { startSimulator, type Simulator, type StartSimulatorOptions } from './index.ts'
import { connectClient } from './testing/baileys-client.ts'
import { connectLinked } from './testing/linked-client.ts'
import type { MemoryAuthState } from './testing/memory-auth-state.ts'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map(s => s.stop()))
})
const start = async (opts: StartSimulatorOptions = {}) => {
  const sim = await startSimulator(opts)
  sims.push(sim)
  return sim
}

/** Reconnects with the same creds, listening from the first frame (offline stanzas come right after login). */
function reconnect(sim: Simulator, auth: MemoryAuthState) {
  const client = connectClient(sim, auth)
  const statuses = new Map<string, number[]>()
  const frames: string[] = []
  client.sock.ev.on('messages.update', (ups: WAMessageUpdate[]) => {
    for (const u of ups) if (u.update.status) statuses.set(u.key.id!, [...(statuses.get(u.key.id!) ?? []), u.update.status])
  })
  // a status that arrives within ~100 ms of a send is folded into Baileys' buffered upsert (see the README)
  client.sock.ev.on('messages.upsert', ({ messages }) => {
    for (const m of messages) if (m.key.fromMe && m.status) statuses.set(m.key.id!, [...(statuses.get(m.key.id!) ?? []), m.status])
  })
  client.sock.ws.on('CB:receipt', (n: BinaryNode) => frames.push(`receipt ${n.attrs.type ?? 'delivered'} ${n.attrs.id} offline=${n.attrs.offline}`))
  client.sock.ws.on('CB:ib,,offline', (n: BinaryNode) => {
    const offline = Array.isArray(n.content) ? n.content.find(c => c.tag === 'offline') : undefined
    frames.push(`offline count=${offline?.attrs.count}`)
  })
  return { client, statuses, frames }
}

describe('simulator: receipts for a sender device that is offline', () => {
  it('are queued and delivered at its next login, in order, before <ib><offline>; Baileys emits the statuses', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550003001', 'Alice')
    const bob = sim.contact('+15550003002', { receipts: 'none' })
    const sent = await alice.sock.sendMessage(bob.jid, { text: 'sent just before the crash' })
    const id = sent!.key.id!
    await bob.waitForMessage({ id })
    alice.end()
    await alice.closed()
    await sim.waitForDevice('+15550003001', d => !d.connected)

    // the phone answers while the device is away: nothing to send it to now, so the server keeps both
    expect(bob.sendReceipt(id, 'delivered')).toBe(false)
    expect(bob.sendReceipt(id, 'read')).toBe(false)
    expect(sim.devices()[0]!.pendingOffline).toBe(2)
    expect(sim.stats()).toMatchObject({ receiptsQueued: 2, offlineDropped: 0 })

    const { client, statuses, frames } = reconnect(sim, alice.auth)
    await client.opened()
    await expect.poll(() => frames.at(-1)).toBe('offline count=2')
    expect(frames).toEqual([`receipt delivered ${id} offline=1`, `receipt read ${id} offline=1`, 'offline count=2'])
    // Baileys buffers offline stanzas and merges updates for one key, so 3 may be folded into 4
    await expect.poll(() => statuses.get(id)?.at(-1)).toBe(4)
    expect(statuses.get(id)!.every(s => s === 3 || s === 4)).toBe(true)
    expect(sim.devices()[0]!.pendingOffline).toBe(0)
    expect(bob.receivedCount(id)).toBe(1)

    // once online again, receipts go out live (not queued)
    const next = await client.sock.sendMessage(bob.jid, { text: 'after the restart' })
    await bob.waitForMessage({ id: next!.key.id! })
    expect(bob.sendReceipt(next!.key.id!, 'delivered')).toBe(true)
    await expect.poll(() => statuses.get(next!.key.id!)?.at(-1)).toBe(3)
    expect(frames.at(-1)).toBe(`receipt delivered ${next!.key.id} offline=undefined`)
    expect(sim.stats()).toMatchObject({ receiptsQueued: 2, decryptErrors: 0, handlerErrors: 0 })
    client.end()
  })

  it('the offline queue is bounded: past maxPendingOffline the oldest stanza is dropped and counted', async () => {
    const sim = await start({ maxPendingOffline: 2 })
    const alice = await connectLinked(sim, '+15550003011', 'Alice')
    const bob = sim.contact('+15550003012', { receipts: 'none' })
    const ids: string[] = []
    for (const text of ['one', 'two', 'three']) {
      const sent = await alice.sock.sendMessage(bob.jid, { text })
      ids.push(sent!.key.id!)
    }
    await bob.waitForCount(3)
    alice.end()
    await alice.closed()
    await sim.waitForDevice('+15550003011', d => !d.connected)
    for (const id of ids) expect(bob.sendReceipt(id, 'delivered')).toBe(false)
    expect(sim.devices()[0]!.pendingOffline).toBe(2)
    expect(sim.stats()).toMatchObject({ receiptsQueued: 3, offlineDropped: 1 })

    const { client, statuses, frames } = reconnect(sim, alice.auth)
    await client.opened()
    await expect.poll(() => frames.at(-1)).toBe('offline count=2')
    await expect.poll(() => [...statuses.keys()].sort()).toEqual(ids.slice(1).sort())
    expect(statuses.get(ids[1]!)).toEqual([3])
    expect(statuses.get(ids[2]!)).toEqual([3])
    client.end()
  })

  it('a receipt the device never acked (its socket died while handling it) is delivered again at its next login', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550003021', 'Alice')
    const bob = sim.contact('+15550003022', { receipts: 'none' })
    const sent = await alice.sock.sendMessage(bob.jid, { text: 'the receipt for this one is lost in flight' })
    const id = sent!.key.id!
    await bob.waitForMessage({ id })
    // Baileys acks a receipt only after handling it: closing the socket from the raw frame handler means no ack
    alice.sock.ws.on('CB:receipt', () => void alice.sock.ws.close())
    expect(bob.sendReceipt(id, 'delivered')).toBe(true)
    await alice.closed()
    await sim.waitForDevice('+15550003021', d => !d.connected)
    expect(sim.devices()[0]).toMatchObject({ pendingOffline: 1, unacked: 0 })

    const { client, statuses, frames } = reconnect(sim, alice.auth)
    await client.opened()
    await expect.poll(() => frames.at(-1)).toBe('offline count=1')
    expect(frames).toEqual([`receipt delivered ${id} offline=1`, 'offline count=1'])
    await expect.poll(() => statuses.get(id)?.at(-1)).toBe(3)
    // acked this time: nothing is kept for the login after
    await expect.poll(() => sim.devices()[0]!.unacked).toBe(0)
    expect(sim.devices()[0]!.pendingOffline).toBe(0)
    client.end()
  })
})
