// The simulator's complete example (README "Complete example"): link by QR against today's default simulator, a
// message each way, a fault. example.test.ts runs it, so it cannot rot. Copy from here; from elsewhere import
// '../sim/index.ts' and '../sim/testing/…'.
import '../testing/silence-libsignal.ts' // libsignal prints private keys via console.info: import this first
import { randomBytes } from 'node:crypto'
import makeWASocket, { Browsers, type WASocket } from '@whiskeysockets/baileys'
import pino from 'pino'
import { shouldSyncHistoryMessage } from '../../../connector/whatsapp/history-policy.ts'
import { SimScanError, startSimulator, useSimulatorCertificate } from '../index.ts'
import { memoryAuthState } from '../testing/memory-auth-state.ts'

export interface ExampleResult {
  /** the first scan's refusal: today's server asks the companion to refresh its registration */
  firstScan: string
  linked: { phone: string; jid: string; lid: string; deviceId: number }
  /** what Bob's phone decrypted */
  bobGot: { id: string; text?: string; from: string; to: string }
  sentId: string
  /** what the linked account received from Bob (remoteJid = Bob's LID, remoteJidAlt = his phone jid) */
  aliceGot: { remoteJid?: string | null; remoteJidAlt?: string | null; text?: string | null }
  /** lastDisconnect statusCode after the 'replaced' fault: 440 (DisconnectReason.connectionReplaced) */
  replacedCode: number | undefined
}

export async function runCompleteExample(): Promise<ExampleResult> {
  const sim = await startSimulator() // 127.0.0.1, port 0, fresh root key, today's behaviours on (behaviours.ts)
  useSimulatorCertificate(sim.rootPublicKey) // the only Baileys change
  const auth = memoryAuthState() // initAuthCreds() + Map-backed key store; survives reconnects
  const connect = (): WASocket =>
    makeWASocket({
      waWebSocketUrl: sim.url,
      auth: auth.state,
      logger: pino({ level: 'silent' }),
      browser: Browsers.ubuntu('Chrome'),
      // the product's policy: everything but FULL history (the initial sync carries the LID↔phone mappings)
      shouldSyncHistoryMessage,
      markOnlineOnConnect: false,
    })
  try {
    // 1. QR. Today the first scan makes the server send companion_reg_refresh and retire that QR's ADV secret
    //    (Baileys#2737); the companion must show the same ref with a new secret, and the phone scans that one.
    let sock = connect()
    const qr = await new Promise<string>(r => sock.ev.on('connection.update', u => u.qr && r(u.qr)))
    const firstScan = await sim.scanQr(qr, { phone: '+15550001111', pushName: 'Alice' }).then(
      () => 'linked',
      (e: unknown) => (e instanceof SimScanError ? e.code : Promise.reject(e)),
    ) // 'registration_refresh'
    // Stock rc14 drops the notification; do what WA Web does (WAWebHandleCompanionReqRefreshNotification): a new
    // 32-byte secret, the current QR re-rendered with it (4th field). The connector's load-time patch does this
    // itself (connector/whatsapp/baileys-patches/linking-patches.ts); with `behaviours: { companionRegRefresh:
    // false }` the first scan links.
    auth.state.creds.advSecretKey = randomBytes(32).toString('base64')
    const fields = qr.split(',')
    fields[3] = auth.state.creds.advSecretKey
    const restarted = new Promise<void>(r => sock.ev.on('connection.update', u => u.connection === 'close' && r()))
    const linked = await sim.scanQr(fields.join(','), { phone: '+15550001111', pushName: 'Alice' })
    await restarted // 515 restart required; like every app, reconnect with the same creds:
    sock = connect()
    await new Promise<void>(r => sock.ev.on('connection.update', u => u.connection === 'open' && r()))

    // 2. a contact writes to the linked account (messages.upsert, remoteJid = the contact's LID)
    const inbound = new Promise<ExampleResult['aliceGot']>(r =>
      sock.ev.on('messages.upsert', ({ messages }) => {
        const m = messages.find(x => !x.key.fromMe && x.message?.conversation)
        if (m) r({ remoteJid: m.key.remoteJid, remoteJidAlt: m.key.remoteJidAlt, text: m.message?.conversation })
      }),
    )
    const bob = sim.contact('+15550002222', { name: 'Bob', receipts: 'read' })
    await bob.sendText('+15550001111', 'hi Alice')
    const aliceGot = await inbound

    // 3. the linked account writes to the contact; the contact's phone decrypts and records it
    const sent = await sock.sendMessage('15550002222@s.whatsapp.net', { text: 'hi Bob' })
    const bobGot = await bob.waitForMessage({ text: 'hi Bob' }, { timeoutMs: 10_000 })
    // Baileys then emits messages.update with status 3 (delivered) and 4 (read)

    // 4. a fault: Baileys reports the same DisconnectReason as for the real thing
    const closed = new Promise<number | undefined>(r =>
      sock.ev.on('connection.update', u => {
        if (u.connection === 'close') r((u.lastDisconnect?.error as { output?: { statusCode?: number } })?.output?.statusCode)
      }),
    )
    sim.fault('+15550001111', 'replaced')
    const replacedCode = await closed
    return { firstScan, linked, bobGot, sentId: sent!.key.id!, aliceGot, replacedCode }
  } finally {
    await sim.stop()
  }
}
