import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DisconnectReason } from '@whiskeysockets/baileys'
import { FAULT_STATUS, startSimulator, type FaultKind, type Simulator } from './index.ts'
import { connectClient } from './testing/baileys-client.ts'
import { connectLinked } from './testing/linked-client.ts'

let sim: Simulator
let seq = 0
const nextPhone = () => `+1555000${3000 + ++seq}`
beforeAll(async () => {
  sim = await startSimulator()
})
afterAll(async () => {
  await sim.stop()
})

describe('simulator faults give the DisconnectReason Baileys reports for the real thing', () => {
  const streamFaults: [FaultKind, number][] = [
    ['close', DisconnectReason.connectionClosed],
    ['logged_out', DisconnectReason.loggedOut],
    ['replaced', DisconnectReason.connectionReplaced],
    ['unavailable', DisconnectReason.unavailableService],
    ['restart_required', DisconnectReason.restartRequired],
  ]
  for (const [kind, code] of streamFaults) {
    it(`${kind} → ${code}`, async () => {
      const client = await connectLinked(sim, nextPhone())
      sim.fault(client.auth.state.creds.me!.id, kind)
      expect(await client.closed()).toBe(code)
      expect(FAULT_STATUS[kind]).toBe(code)
    })
  }

  it('a second login with the same creds replaces the first (440)', async () => {
    const first = await connectLinked(sim, nextPhone())
    const second = connectClient(sim, first.auth)
    await second.opened()
    expect(await first.closed()).toBe(DisconnectReason.connectionReplaced)
    second.end()
  })

  it('refuse_connections drops every new socket (428) until cleared; the device then logs in again', async () => {
    const phone = nextPhone()
    const client = await connectLinked(sim, phone)
    sim.fault(phone, 'refuse_connections')
    sim.fault(phone, 'close')
    expect(await client.closed()).toBe(DisconnectReason.connectionClosed)
    const refused = connectClient(sim, client.auth)
    expect(await refused.closed()).toBe(DisconnectReason.connectionClosed)
    sim.clearFaults(phone)
    const again = connectClient(sim, client.auth)
    await again.opened()
    // every login payload is counted, refused ones too: first login, the refused one, this one
    expect(sim.devices().find((d) => d.phone === phone)?.logins).toBe(3)
    again.end()
  })

  it('hold_connections parks each new login unanswered until cleared; the held login then goes on', async () => {
    const phone = nextPhone()
    const client = await connectLinked(sim, phone)
    sim.fault(phone, 'hold_connections')
    sim.fault(phone, 'close')
    expect(await client.closed()).toBe(DisconnectReason.connectionClosed)
    const held = connectClient(sim, client.auth)
    await sim.waitForDevice(phone, (d) => d.heldLogins === 1)
    expect(sim.devices().find((d) => d.phone === phone)?.connected).toBe(false)
    sim.clearFaults(phone)
    await held.opened()
    // a held login that goes on is one login, not two
    expect(sim.devices().find((d) => d.phone === phone)).toMatchObject({ connected: true, heldLogins: 0, logins: 2 })
    held.end()
  })

  it('silence, and drop with every stanza lost: Baileys keep-alive gives up with 408', async () => {
    const silent = nextPhone()
    const dropped = nextPhone()
    const a = await connectLinked(sim, silent, 'S', { keepAliveIntervalMs: 1000 })
    const b = await connectLinked(sim, dropped, 'D', { keepAliveIntervalMs: 1000 })
    sim.fault(silent, 'silence')
    sim.fault(dropped, 'drop')
    expect(await Promise.all([a.closed(20_000), b.closed(20_000)])).toEqual([DisconnectReason.connectionLost, DisconnectReason.connectionLost])
    sim.clearFaults(silent)
    sim.clearFaults(dropped)
  })

  it('drop: a lost stanza never reaches the contact; later ones do', async () => {
    const phone = nextPhone()
    const client = await connectLinked(sim, phone)
    const bob = sim.contact(nextPhone(), { receipts: 'none' })
    sim.fault(phone, 'drop', { direction: 'in', count: 1, tag: 'message' })
    await client.sock.sendMessage(bob.jid, { text: 'lost' })
    await client.sock.sendMessage(bob.jid, { text: 'kept' })
    await bob.waitForMessage({ text: 'kept' })
    expect(bob.received().map(m => m.text)).toEqual(['kept'])
    expect(sim.stats().decryptErrors).toBe(0)
    client.end()
  })

  it('unreachable server: live sockets drop (428), new ones are refused (408), and it comes back on the same port', async () => {
    const own = await startSimulator()
    try {
      const client = await connectLinked(own, '+15550003999')
      await own.setReachable(false)
      expect(await client.closed()).toBe(DisconnectReason.connectionClosed)
      const refused = connectClient(own, client.auth)
      expect(await refused.closed()).toBe(DisconnectReason.timedOut)
      await own.setReachable(true)
      const back = connectClient(own, client.auth)
      await back.opened()
      expect((await own.waitForDevice('+15550003999')).connected).toBe(true)
      back.end()
    } finally {
      await own.stop()
    }
  })

  it('delay: stanzas arrive late but in order, the connection stays up', async () => {
    const phone = nextPhone()
    const client = await connectLinked(sim, phone)
    sim.fault(phone, 'delay', { ms: 300 })
    const bob = sim.contact(nextPhone())
    const t0 = Date.now()
    await bob.sendText(phone, 'one')
    await bob.sendText(phone, 'two')
    const got = await client.waitForInbox(2)
    expect(got.map(m => m.message?.conversation)).toEqual(['one', 'two'])
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    sim.clearFaults(phone)
    client.end()
  })
})
