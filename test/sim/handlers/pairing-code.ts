import { createCipheriv, createDecipheriv, hkdfSync, pbkdf2, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { Curve, type BinaryNode } from '@whiskeysockets/baileys'
import { newKeyPair } from '../certificate.ts'
import { bytes, child, connectionState, iqError, iqResult, logLink, SERVER_JID, unixNow, type SimContext } from '../context.ts'
import { normalizePhone, type LinkedDevice } from '../device-registry.ts'
import { SimScanError } from '../scan-error.ts'
import type { SimConnection } from '../transport/connection.ts'
import { completePairing, type ScanOptions } from './pairing.ts'

const pbkdf2Async = promisify(pbkdf2)
const EMPTY = Buffer.alloc(0)

/** What `sock.requestPairingCode(phone)` sent (stage companion_hello), kept until the phone enters the code. */
export interface LinkCodeRequest {
  conn: SimConnection
  phone: string
  wrappedCompanionEphemeral: Buffer
  ref: string
}

const requests = new WeakMap<SimContext, Map<string, LinkCodeRequest>>()
const waiters = new WeakMap<SimContext, Map<string, () => void>>()
const table = <T>(m: WeakMap<SimContext, Map<string, T>>, ctx: SimContext): Map<string, T> => {
  let t = m.get(ctx)
  if (!t) m.set(ctx, (t = new Map()))
  return t
}

/** Pairing-code key: PBKDF2-SHA256(code, salt, 2<<16 iterations, 32 bytes), as Baileys' derivePairingCodeKey. */
const codeKey = (code: string, salt: Buffer) => pbkdf2Async(Buffer.from(code), salt, 2 << 16, 32, 'sha256')

function aesCtr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-256-ctr', key, iv)
  return Buffer.concat([c.update(data), c.final()])
}

/**
 * The `companion_platform_display` values WhatsApp accepts for a pairing code: "<browser> (<OS>)" as WA Web's
 * user-agent parser (ua-parser-js) spells them. Sources: Baileys PR #2769 (measured on rc14, 2026-08-12:
 * "Chrome (Acme)" → 400 bad-request, "Chrome (Windows)" accepted; requestPairingCode() still returns a code),
 * PR #2559 / #2409 (custom browser[0] → 400; only browser platform ids), whatsapp-rust PR #979 (the server rejects a
 * non-OS value; canonical OS set Windows, Mac OS, Linux, Android, iOS). Values outside these sets (e.g. "Ubuntu")
 * are unverified against the real server; the model refuses them. QR pairing does not send this field.
 */
const STANDARD_DISPLAY = /^(Chrome|Firefox|Safari|Edge|Opera|IE) \((Windows|Mac OS|Linux|Android|iOS)\)$/

export function isStandardPlatformDisplay(display: string): boolean {
  return STANDARD_DISPLAY.test(display)
}

/** `<iq xmlns=md><link_code_companion_reg stage=companion_hello>` on a socket that is linking. */
export function handleCompanionHello(ctx: SimContext, conn: SimConnection, iq: BinaryNode): BinaryNode {
  const reg = child(iq, 'link_code_companion_reg')!
  const display = bytes(child(reg, 'companion_platform_display'))?.toString('utf8') ?? ''
  if (ctx.options.behaviours.pairingCodeDisplayCheck && !isStandardPlatformDisplay(display)) {
    logLink(ctx, conn, 'pairing_code_refused', { display })
    return iqError(iq, 400, 'bad-request')
  }
  const phone = normalizePhone(reg.attrs.jid ?? '')
  const ref = randomBytes(16).toString('base64')
  table(requests, ctx).set(phone, {
    conn,
    phone,
    wrappedCompanionEphemeral: bytes(child(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub'))!,
    ref,
  })
  table(waiters, ctx).get(phone)?.()
  return iqResult(iq, [
    { tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }] },
  ])
}

async function waitForRequest(ctx: SimContext, phone: string, timeoutMs: number): Promise<LinkCodeRequest> {
  const existing = table(requests, ctx).get(phone)
  if (existing) return existing
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      table(waiters, ctx).delete(phone)
      reject(new SimScanError('no_code_request', `no pairing-code request for +${phone}`))
    }, timeoutMs)
    table(waiters, ctx).set(phone, () => {
      clearTimeout(t)
      table(waiters, ctx).delete(phone)
      resolve()
    })
  })
  return table(requests, ctx).get(phone)!
}

/**
 * The user types the 8-character code on the phone: the phone unwraps the companion's ephemeral key with it,
 * sends its own wrapped ephemeral + identity (notification link_code_companion_reg), checks the companion_finish
 * key bundle, derives the same adv secret as Baileys, then pairs exactly as after a QR scan.
 */
export async function enterPairingCode(ctx: SimContext, code: string, opts: ScanOptions, timeoutMs = 5000): Promise<LinkedDevice> {
  const phone = normalizePhone(opts.phone)
  const req = await waitForRequest(ctx, phone, timeoutMs)
  table(requests, ctx).delete(phone)
  const pending = connectionState(req.conn).pairing
  if (!pending || !req.conn.isOpen) throw new SimScanError('companion_gone', 'the companion that asked for this code is gone')
  const user = ctx.registry.user(phone)
  if (!user) throw new SimScanError('not_on_whatsapp', `+${phone} is marked not on WhatsApp`)

  const w = req.wrappedCompanionEphemeral
  const companionEphemeral = aesCtr(await codeKey(code, w.subarray(0, 32)), w.subarray(32, 48), w.subarray(48, 80))
  const primaryEphemeral = newKeyPair()
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const wrappedPrimary = Buffer.concat([salt, iv, aesCtr(await codeKey(code, salt), iv, primaryEphemeral.public)])

  const id = `lc-${req.conn.id}`
  const finish = new Promise<BinaryNode>((resolve, reject) => {
    const state = connectionState(req.conn)
    const t = setTimeout(() => reject(new Error('no companion_finish from the companion (wrong code?)')), timeoutMs)
    state.linkCodeFinish = node => {
      clearTimeout(t)
      resolve(node)
    }
  })
  req.conn.send({
    tag: 'notification',
    attrs: { from: SERVER_JID, type: 'link_code_companion_reg', id, t: unixNow() },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: {},
        content: [
          { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(req.ref) },
          { tag: 'primary_identity_pub', attrs: {}, content: user.peer.identity.public },
          { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrappedPrimary },
        ],
      },
    ],
  })
  const iq = await finish
  const reg = child(iq, 'link_code_companion_reg')!
  const bundle = bytes(child(reg, 'link_code_pairing_wrapped_key_bundle'))!
  const companionIdentity = bytes(child(reg, 'companion_identity_public'))!
  const shared = Curve.sharedKey(primaryEphemeral.private, companionEphemeral)
  const bundleKey = Buffer.from(hkdfSync('sha256', shared, bundle.subarray(0, 32), 'link_code_pairing_key_bundle_encryption_key', 32))
  const d = createDecipheriv('aes-256-gcm', bundleKey, bundle.subarray(32, 44))
  const body = bundle.subarray(44)
  d.setAuthTag(body.subarray(body.length - 16))
  const plain = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()])
  if (!plain.subarray(0, 32).equals(companionIdentity) || !companionIdentity.equals(pending.identityPublic)) {
    throw new Error('pairing-code key bundle names another companion identity')
  }
  const random = plain.subarray(64, 96)
  const identityShared = Curve.sharedKey(user.peer.identity.private, companionIdentity)
  const advSecret = Buffer.from(hkdfSync('sha256', Buffer.concat([shared, identityShared, random]), EMPTY, 'adv_secret', 32))
  req.conn.send(iqResult(iq))
  return completePairing(ctx, pending, opts, advSecret)
}
