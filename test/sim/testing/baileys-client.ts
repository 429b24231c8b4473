import './silence-libsignal.ts'
import { Agent } from 'node:https'
import makeWASocket, { Browsers, type ConnectionState, type UserFacingSocketConfig, type WASocket } from '@whiskeysockets/baileys'
import pino from 'pino'
import { shouldSyncHistoryMessage } from '../../../connector/whatsapp/history-policy.ts'
import { useSimulatorCertificate } from '../certificate.ts'
import type { MemoryAuthState } from './memory-auth-state.ts'

const logger = pino({ level: 'silent' })

export interface TestClient {
  sock: WASocket
  /** resolves with the next QR string */
  nextQr(timeoutMs?: number): Promise<string>
  /** resolves on connection 'open' */
  opened(timeoutMs?: number): Promise<void>
  /** resolves with lastDisconnect statusCode on connection 'close' */
  closed(timeoutMs?: number): Promise<number | undefined>
  /** lastDisconnect.error of the close (message, statusCode, data), once closed */
  closeError(): { message: string; statusCode?: number; data?: unknown } | undefined
  /** every QR string Baileys emitted so far, in order */
  qrsSeen: string[]
  end(): void
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
    p.then(
      v => {
        clearTimeout(t)
        resolve(v)
      },
      e => {
        clearTimeout(t)
        reject(e)
      },
    )
  })
}

/** Bare Baileys pointed at a simulator (the way the connector will be), with an event log for tests. */
/** Where a simulator listens: a `Simulator`, or `{ url, rootPublicKeyBase64 }` from another process. */
export interface SimEndpoint {
  url: string
  rootPublicKeyBase64: string
  /** the simulator's media CA: uploads go through an https.Agent that trusts it (Baileys' `fetchAgent`) */
  mediaCaPem?: string
}

export function connectClient(sim: SimEndpoint, auth: MemoryAuthState, config: Partial<UserFacingSocketConfig> = {}): TestClient {
  useSimulatorCertificate(sim.rootPublicKeyBase64)
  const sock = makeWASocket({
    waWebSocketUrl: sim.url,
    auth: auth.state,
    logger,
    browser: Browsers.ubuntu('Chrome'),
    // the product's policy (everything but FULL: the initial sync carries the LID↔phone mappings); a test of the old
    // `() => false` passes it in `config` (account-2026.test.ts)
    shouldSyncHistoryMessage,
    markOnlineOnConnect: false,
    ...(sim.mediaCaPem ? { fetchAgent: new Agent({ ca: sim.mediaCaPem }) } : {}),
    ...config,
  })
  const qrs: string[] = []
  const qrsSeen: string[] = []
  const qrWaiters: ((qr: string) => void)[] = []
  let closeError: { message: string; statusCode?: number; data?: unknown } | undefined
  let isOpen = false
  const openWaiters: (() => void)[] = []
  let closeCode: number | undefined | null = null
  const closeWaiters: ((code: number | undefined) => void)[] = []
  sock.ev.on('connection.update', (u: Partial<ConnectionState>) => {
    if (u.qr) {
      qrsSeen.push(u.qr)
      const w = qrWaiters.shift()
      if (w) w(u.qr)
      else qrs.push(u.qr)
    }
    if (u.connection === 'open') {
      isOpen = true
      openWaiters.splice(0).forEach(w => w())
    }
    if (u.connection === 'close') {
      const error = u.lastDisconnect?.error as { message?: string; data?: unknown; output?: { statusCode?: number } } | undefined
      closeError = { message: error?.message ?? '', statusCode: error?.output?.statusCode, data: error?.data }
      closeCode = error?.output?.statusCode
      closeWaiters.splice(0).forEach(w => w(closeCode ?? undefined))
    }
  })
  return {
    sock,
    nextQr: (ms = 10_000) => withTimeout(new Promise(r => (qrs.length ? r(qrs.shift()!) : qrWaiters.push(r))), ms, 'qr'),
    opened: (ms = 15_000) => withTimeout(new Promise<void>(r => (isOpen ? r() : openWaiters.push(r))), ms, 'open'),
    closed: (ms = 15_000) =>
      withTimeout(new Promise<number | undefined>(r => (closeCode !== null ? r(closeCode) : closeWaiters.push(r))), ms, 'close'),
    closeError: () => closeError,
    qrsSeen,
    end: () => sock.end(undefined),
  }
}
