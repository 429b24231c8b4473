import { afterEach, describe, expect, it } from 'vitest'
import { Browsers, DisconnectReason } from '@whiskeysockets/baileys'
import { startSimulator, type Simulator } from './index.ts'
import { connectClient } from './testing/baileys-client.ts'
import { connectLinked } from './testing/linked-client.ts'
import { memoryAuthState } from './testing/memory-auth-state.ts'

const sims: Simulator[] = []
const start = async (opts?: Parameters<typeof startSimulator>[0]) => {
  const sim = await startSimulator(opts)
  sims.push(sim)
  return sim
}
afterEach(async () => {
  await Promise.all(sims.splice(0).map(s => s.stop()))
})

// The linking flows as they were before WhatsApp's 2026 changes (companion_reg_refresh off). The 2026 behaviours
// and stock rc14 against them: linking-2026.test.ts.
describe('simulator linking', () => {
  it('QR scan pairs the device (515), the reconnect reaches open, and a restart with saved creds opens without a QR', async () => {
    const sim = await start({ behaviours: { companionRegRefresh: false } })
    const auth = memoryAuthState()
    const first = connectClient(sim, auth)
    const qr = await first.nextQr()
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/)
    const linked = await sim.scanQr(qr, { phone: '+15550001111', pushName: 'Alice' })
    expect(linked.jid).toBe('15550001111:7@s.whatsapp.net')
    expect(await first.closed()).toBe(DisconnectReason.restartRequired)
    expect(auth.state.creds.me).toMatchObject({ id: linked.jid, lid: linked.lid, name: 'Alice' })
    expect(auth.state.creds.account?.deviceSignature?.length).toBe(64)

    const second = connectClient(sim, auth)
    await second.opened()
    expect(sim.devices()).toEqual([expect.objectContaining({ phone: '+15550001111', connected: true, loggedOut: false })])
    expect(sim.devices()[0]!.preKeysOnServer).toBeGreaterThanOrEqual(800)
    // the server pushed <edge_routing>; the next socket starts with the ED routing prefix
    await expect.poll(() => auth.state.creds.routingInfo).toBeDefined()
    second.end()
    await second.closed()

    let sawQr = false
    const third = connectClient(sim, auth)
    third.sock.ev.on('connection.update', u => {
      if (u.qr) sawQr = true
    })
    await third.opened()
    expect(sawQr).toBe(false)
    third.end()
  })

  it('refs rotate and, when they run out, Baileys ends with 408', async () => {
    const sim = await start({ qrTimeoutsMs: { first: 300, next: 200, count: 3 } })
    const client = connectClient(sim, memoryAuthState(), { qrTimeout: 250 })
    const qrs = [await client.nextQr(), await client.nextQr(), await client.nextQr()]
    expect(new Set(qrs).size).toBe(3)
    expect(await client.closed()).toBe(DisconnectReason.timedOut)
    await expect(sim.scanQr(qrs[2]!, { phone: '+15550001112' })).rejects.toThrow(/unknown|expired|gone/)
  })

  it('a ref the server has expired cannot be scanned, even while the client still shows it', async () => {
    // The second ref lives 60 s, so the pairing (and its socket) outlives any delay here: the first ref is expired,
    // not "unknown" (with both refs short, a loaded box let the whole pairing end before the scan).
    const sim = await start({ qrTimeoutsMs: { first: 100, next: 60_000, count: 2 } })
    const client = connectClient(sim, memoryAuthState(), { qrTimeout: 5000 })
    const qr = await client.nextQr()
    await new Promise(r => setTimeout(r, 150))
    await expect(sim.scanQr(qr, { phone: '+15550001113' })).rejects.toThrow(/expired/)
    client.end()
  })

  it('pairing code: requestPairingCode → the phone enters the code → pair-success (515) → open', async () => {
    const sim = await start()
    const auth = memoryAuthState()
    const client = connectClient(sim, auth, { browser: Browsers.windows('Chrome') })
    await client.nextQr()
    const code = await client.sock.requestPairingCode('15550001117')
    expect(code).toMatch(/^[A-Z0-9]{8}$/)
    await expect(sim.enterPairingCode('WRONGCOD', { phone: '+15550001118', timeoutMs: 100 })).rejects.toThrow(/no pairing-code request/)
    const linked = await sim.enterPairingCode(code, { phone: '+15550001117', pushName: 'Coded' })
    expect(await client.closed()).toBe(DisconnectReason.restartRequired)
    expect(auth.state.creds.registered).toBe(true)
    expect(auth.state.creds.me).toMatchObject({ id: linked.jid, name: 'Coded' })
    const again = connectClient(sim, auth)
    await again.opened()
    again.end()
  })

  it('provisionLinkedDevice creds log in without a QR and upload no pre-keys', async () => {
    const sim = await start()
    let sawQr = false
    const client = await connectLinked(sim, '+15550001114', 'Prov', {})
    client.sock.ev.on('connection.update', u => {
      if (u.qr) sawQr = true
    })
    expect(sawQr).toBe(false)
    expect(client.auth.state.creds.me?.name).toBe('Prov')
    expect(sim.devices()[0]).toMatchObject({ connected: true, preKeysOnServer: 30 })
    client.end()
  })

  it('a logged-out device is refused with <failure reason=401> on its next login', async () => {
    const sim = await start()
    const client = await connectLinked(sim, '+15550001115')
    sim.fault('+15550001115', 'logged_out')
    expect(await client.closed()).toBe(DisconnectReason.loggedOut)
    const again = connectClient(sim, client.auth)
    expect(await again.closed()).toBe(DisconnectReason.loggedOut)
    expect(sim.devices()[0]).toMatchObject({ loggedOut: true, connected: false })
  })

  it('sock.logout() removes the device on the server', async () => {
    const sim = await start()
    const client = await connectLinked(sim, '+15550001116')
    await client.sock.logout()
    expect(await client.closed()).toBe(DisconnectReason.loggedOut)
    // Baileys sends remove-companion-device without awaiting a reply and closes at once: the server may
    // handle the frame after the client saw its own close.
    await expect.poll(() => sim.devices()[0]!.loggedOut).toBe(true)
  })
})
