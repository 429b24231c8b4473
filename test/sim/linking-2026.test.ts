// Proof that the simulator's late-2026 linking behaviours are right: STOCK, unpatched Baileys 7.0.0-rc14 (this file
// installs no patch) fails against each of them exactly as users report, and links with each one switched off.
// Sources per behaviour: behaviours.ts and the handler that models it.
import './testing/silence-libsignal.ts'
import { Writable } from 'node:stream'
import { Browsers, DisconnectReason } from '@whiskeysockets/baileys'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { parseQr, RC14_WA_VERSION, SimScanError, startSimulator, type Simulator, type StartSimulatorOptions } from './index.ts'
import { connectClient } from './testing/baileys-client.ts'
import { memoryAuthState } from './testing/memory-auth-state.ts'

const sims: Simulator[] = []
const start = async (opts?: StartSimulatorOptions) => {
  const sim = await startSimulator(opts)
  sims.push(sim)
  return sim
}
afterEach(async () => {
  await Promise.all(sims.splice(0).map(s => s.stop()))
})

/** Baileys' own log lines at warn and above (what an app owner would see). */
function capturingLogger() {
  const lines: { level: number; msg: string; raw: string }[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const parsed = JSON.parse(line) as { level: number; msg: string }
        lines.push({ level: parsed.level, msg: parsed.msg, raw: line })
      }
      done()
    },
  })
  // Baileys logs the ack failure under `ackErr`: serialize it like an error so its type and message show
  return { logger: pino({ level: 'warn', serializers: { ackErr: pino.stdSerializers.err } }, stream), lines }
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'linked',
    (e: unknown) => (e instanceof SimScanError ? e.code : `error: ${(e as Error).message}`),
  )

// WhatsApp's ref timing (60 s, then 20 s) scaled down 50x; Baileys' qrTimeout is one value for every ref.
const SCALE = 0.02
const SCALED_REF_MS = 20_000 * SCALE

describe('companion_reg_refresh (Baileys#2737)', () => {
  it('stock rc14: acks nothing (the pre-login ack throws), keeps showing the retired secret, every scan fails, 408 "QR refs attempts ended"', async () => {
    const sim = await start({ timeScale: SCALE })
    const { logger, lines } = capturingLogger()
    const client = connectClient(sim, memoryAuthState(), { qrTimeout: SCALED_REF_MS, logger })
    const first = await client.nextQr()
    await expect(refusal(sim.scanQr(first, { phone: '+15550201001' }))).resolves.toBe('registration_refresh')
    await expect.poll(() => sim.linkEvents('reg_refresh_sent').length).toBe(1)
    // Baileys#2738: sendMessageAck dereferences creds.me before login, so no ack leaves
    await expect.poll(() => lines.some(l => l.msg === 'failed to ack notification' && l.raw.includes('TypeError') && l.raw.includes("reading 'id'"))).toBe(true)
    expect(sim.linkEvents('notification_ack')).toEqual([])
    // the same QR again, then every later ref: all carry the retired secret
    await expect(refusal(sim.scanQr(first, { phone: '+15550201001' }))).resolves.toBe('retired_secret')
    const later = await client.nextQr()
    expect(parseQr(later).ref).not.toBe(parseQr(first).ref)
    expect(parseQr(later).advSecret).toEqual(parseQr(first).advSecret)
    await expect(refusal(sim.scanQr(later, { phone: '+15550201001' }))).resolves.toBe('retired_secret')
    expect(await client.closed()).toBe(DisconnectReason.timedOut)
    expect(client.closeError()?.message).toBe('QR refs attempts ended')
    expect(sim.linkEvents('pair_success_sent')).toEqual([])
    expect(new Set(client.qrsSeen.map(q => parseQr(q).advSecret.toString('base64'))).size).toBe(1)
    expect(sim.devices()).toEqual([])
  })

  it('switched off: stock rc14 links at the first scan', async () => {
    const sim = await start({ behaviours: { companionRegRefresh: false } })
    const client = connectClient(sim, memoryAuthState())
    const linked = await sim.scanQr(await client.nextQr(), { phone: '+15550201002' })
    expect(linked.phone).toBe('+15550201002')
    expect(await client.closed()).toBe(DisconnectReason.restartRequired)
  })

  it('the model: the refresh retires only the scanned secret; a QR of the same ref with a new secret links', async () => {
    const sim = await start()
    const auth = memoryAuthState()
    const client = connectClient(sim, auth)
    const qr = await client.nextQr()
    await expect(refusal(sim.scanQr(qr, { phone: '+15550201003' }))).resolves.toBe('registration_refresh')
    // What WA Web does on the notification (WAWebHandleCompanionReqRefreshNotification, as PR #2765 describes it:
    // a new 32-byte secret, the current ref re-rendered), done by hand on stock rc14: its pair-success check reads
    // creds.advSecretKey when pair-success arrives (rc14 Socket/socket.js L733 configureSuccessfulPairing)
    const fresh = Buffer.alloc(32, 7).toString('base64')
    auth.state.creds.advSecretKey = fresh
    const parts = qr.split(',')
    parts[3] = fresh
    await expect(sim.scanQr(parts.join(','), { phone: '+15550201003' })).resolves.toMatchObject({ phone: '+15550201003' })
    expect(await client.closed()).toBe(DisconnectReason.restartRequired)
    // a second scan of the QR that linked: its ref is used up
    await expect(refusal(sim.scanQr(parts.join(','), { phone: '+15550201003' }))).resolves.toBe('unknown_ref')
  })
})

describe('passkey-gated accounts (Baileys#2672)', () => {
  it('stock rc14: passkey_prologue_request is dropped and not acked; the QRs keep rotating until 408', async () => {
    const sim = await start({ timeScale: SCALE })
    sim.requirePasskey('+15550201011')
    const client = connectClient(sim, memoryAuthState(), { qrTimeout: SCALED_REF_MS })
    await expect(refusal(sim.scanQr(await client.nextQr(), { phone: '+15550201011' }))).resolves.toBe('passkey_required')
    expect(sim.linkEvents('passkey_request_sent')).toHaveLength(1)
    expect(await client.closed()).toBe(DisconnectReason.timedOut)
    // the whole ref pool was shown (the "endless QR loop"), and nothing else happened
    expect(client.qrsSeen).toHaveLength(6)
    expect(sim.linkEvents('notification_ack')).toEqual([])
    expect(sim.linkEvents('pair_success_sent')).toEqual([])
  })

  it('switched off: the same account links', async () => {
    const sim = await start({ behaviours: { passkeyGate: false, companionRegRefresh: false } })
    sim.requirePasskey('+15550201012')
    const client = connectClient(sim, memoryAuthState())
    await expect(sim.scanQr(await client.nextQr(), { phone: '+15550201012' })).resolves.toMatchObject({ phone: '+15550201012' })
  })
})

describe('client version floor (Baileys#1937, #1634)', () => {
  it('stock rc14 below the floor: <failure reason="405" location="cln"> right after the handshake, no QR, "Connection Failure"', async () => {
    const sim = await start()
    sim.setVersions({ minimum: sim.versions().current })
    const client = connectClient(sim, memoryAuthState())
    expect(await client.closed()).toBe(405)
    expect(client.closeError()).toMatchObject({ message: 'Connection Failure', data: { reason: '405', location: 'cln' } })
    expect(client.qrsSeen).toEqual([])
    expect(sim.linkEvents('version_refused')[0]?.detail).toMatchObject({ version: RC14_WA_VERSION.join('.') })
  })

  it('a linked device is refused the same way at login', async () => {
    const sim = await start()
    const p = sim.provisionLinkedDevice({ phone: '+15550201021' })
    sim.setVersions({ minimum: sim.versions().current })
    const client = connectClient(sim, memoryAuthState(p.creds, p.preKeys))
    expect(await client.closed()).toBe(405)
  })

  it('the current version (served as client_revision by GET /sw.js) links; with the floor off rc14 links too', async () => {
    const sim = await start({ behaviours: { companionRegRefresh: false } })
    sim.setVersions({ minimum: sim.versions().current })
    const sw = await (await fetch(sim.serviceWorkerUrl)).text()
    // the regex of rc14's fetchLatestWaWebVersion (Utils/generics.js)
    const revision = Number(sw.match(/\\?"client_revision\\?":\s*(\d+)/)?.[1])
    expect(revision).toBe(sim.versions().current[2])
    const current = connectClient(sim, memoryAuthState(), { version: [2, 3000, revision] })
    await expect(sim.scanQr(await current.nextQr(), { phone: '+15550201022' })).resolves.toBeTruthy()
    sim.setBehaviours({ versionFloor: false })
    const pinned = connectClient(sim, memoryAuthState())
    await expect(pinned.nextQr()).resolves.toMatch(/^https:\/\/wa\.me/)
    pinned.end()
  })
})

describe('pairing code display name (PR #2769)', () => {
  it('stock rc14 with a custom browser name: 400 bad-request, yet requestPairingCode() returns a code that never links', async () => {
    const sim = await start()
    const client = connectClient(sim, memoryAuthState(), { browser: ['Acme', 'Chrome', '1.0'] })
    await client.nextQr()
    const code = await client.sock.requestPairingCode('15550201031')
    expect(code).toMatch(/^[A-Z0-9]{8}$/)
    await expect.poll(() => sim.linkEvents('pairing_code_refused').map(e => e.detail?.display)).toEqual(['Chrome (Acme)'])
    await expect(refusal(sim.enterPairingCode(code, { phone: '+15550201031', timeoutMs: 500 }))).resolves.toBe('no_code_request')
    client.end()
  })

  it('a standard tuple (Chrome (Windows)) links; with the check off the custom name links too', async () => {
    const sim = await start()
    const standard = connectClient(sim, memoryAuthState(), { browser: Browsers.windows('Chrome') })
    await standard.nextQr()
    const code = await standard.sock.requestPairingCode('15550201032')
    await expect(sim.enterPairingCode(code, { phone: '+15550201032' })).resolves.toMatchObject({ phone: '+15550201032' })
    sim.setBehaviours({ pairingCodeDisplayCheck: false })
    const custom = connectClient(sim, memoryAuthState(), { browser: ['Acme', 'Chrome', '1.0'] })
    await custom.nextQr()
    const code2 = await custom.sock.requestPairingCode('15550201033')
    await expect(sim.enterPairingCode(code2, { phone: '+15550201033' })).resolves.toMatchObject({ phone: '+15550201033' })
  })
})
