import { randomBytes } from 'node:crypto'
import type { BinaryNode, proto } from '@whiskeysockets/baileys'
import { encodeHmacIdentity, signCompanion, verifyDeviceSignature } from '../adv.ts'
import {
  awaitReply,
  bytes,
  child,
  connectionState,
  SERVER_JID,
  uintFrom,
  unixNow,
  type PendingPairing,
  type SimContext,
} from '../context.ts'
import { normalizePhone, type LinkedDevice } from '../device-registry.ts'
import type { SimConnection } from '../transport/connection.ts'

/** A registration payload arrived: hand out QR refs with WhatsApp's timing and close when they are all used up. */
export function startPairing(ctx: SimContext, conn: SimConnection, clientStatic: Buffer, payload: proto.ClientPayload): void {
  const data = payload.devicePairingData!
  const { first, next, count, graceMs } = ctx.options.qrTimeoutsMs
  const startedAt = Date.now()
  const refs = Array.from({ length: count }, (_, i) => ({
    ref: `2@${randomBytes(36).toString('base64')}`,
    expiresAt: startedAt + first + next * i,
  }))
  const pending: PendingPairing = {
    conn,
    noisePublic: clientStatic,
    identityPublic: Buffer.from(data.eIdent!),
    registrationId: uintFrom(data.eRegid ?? undefined),
    signedPreKey: {
      keyId: uintFrom(data.eSkeyId ?? undefined),
      public: Buffer.from(data.eSkeyVal!),
      signature: Buffer.from(data.eSkeySig!),
    },
    refs,
    startedAt,
    timer: undefined,
    claimed: false,
  }
  connectionState(conn).kind = 'pairing'
  connectionState(conn).pairing = pending
  for (const r of refs) ctx.pairings.set(r.ref, pending)
  const lastExpiry = refs[refs.length - 1]!.expiresAt
  pending.timer = setTimeout(() => {
    if (!pending.claimed) conn.close()
  }, lastExpiry - startedAt + graceMs)
  conn.send({
    tag: 'iq',
    attrs: { from: SERVER_JID, type: 'set', id: `pd-${conn.id}`, xmlns: 'md' },
    content: [{ tag: 'pair-device', attrs: {}, content: refs.map(r => ({ tag: 'ref', attrs: {}, content: Buffer.from(r.ref) })) }],
  })
}

export function endPairing(ctx: SimContext, pending: PendingPairing): void {
  if (pending.timer) clearTimeout(pending.timer)
  for (const r of pending.refs) ctx.pairings.delete(r.ref)
}

export interface ScanOptions {
  phone: string
  /** becomes creds.me.name (sent as `<biz name>` in pair-success) */
  pushName?: string
}

export interface ParsedQr {
  ref: string
  noiseKey: Buffer
  identityKey: Buffer
  advSecret: Buffer
  platform: string
}

export function parseQr(qr: string): ParsedQr {
  const hash = qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr
  const [ref, noise, identity, adv, platform] = hash.split(',')
  if (!ref || !noise || !identity || !adv) throw new Error('not a WhatsApp linking QR')
  return {
    ref,
    noiseKey: Buffer.from(noise, 'base64'),
    identityKey: Buffer.from(identity, 'base64'),
    advSecret: Buffer.from(adv, 'base64'),
    platform: platform ?? '',
  }
}

/** The phone scans: signs the companion, sends pair-success, checks pair-device-sign, registers the device, 515. */
export async function scanQr(ctx: SimContext, qr: string, opts: ScanOptions): Promise<LinkedDevice> {
  const parsed = parseQr(qr)
  const pending = ctx.pairings.get(parsed.ref)
  if (!pending) throw new Error('QR ref unknown (never issued, already used, or its socket closed)')
  const ref = pending.refs.find(r => r.ref === parsed.ref)!
  if (Date.now() > ref.expiresAt) throw new Error('QR ref expired')
  if (!pending.conn.isOpen) throw new Error('the companion that showed this QR is gone')
  if (!parsed.noiseKey.equals(pending.noisePublic)) throw new Error('QR noise key does not match the socket that showed it')
  if (!parsed.identityKey.equals(pending.identityPublic)) throw new Error('QR identity key does not match the registration')
  if (pending.claimed) throw new Error('QR already scanned')
  return completePairing(ctx, pending, opts, parsed.advSecret)
}

/** The phone's side once it trusts the companion: sign it, pair-success, check pair-device-sign, register, 515. */
export async function completePairing(ctx: SimContext, pending: PendingPairing, opts: ScanOptions, advSecret: Buffer): Promise<LinkedDevice> {
  const phone = normalizePhone(opts.phone)
  const user = ctx.registry.user(phone)
  if (!user) throw new Error(`+${phone} is marked not on WhatsApp`)
  pending.claimed = true
  endPairing(ctx, pending)

  const deviceId = user.nextDeviceId++
  const keyIndex = user.nextKeyIndex++
  const adv = signCompanion(user.peer.identity, pending.identityPublic, keyIndex)
  const jid = `${phone}:${deviceId}@s.whatsapp.net`
  const lid = `${user.lidUser}:${deviceId}@lid`
  const pushName = opts.pushName ?? user.name
  const id = `ps-${pending.conn.id}-${deviceId}`
  const deviceNodes: BinaryNode[] = [
    { tag: 'device-identity', attrs: {}, content: encodeHmacIdentity(adv, advSecret) },
    { tag: 'platform', attrs: { name: 'smba' } },
    { tag: 'device', attrs: { jid, lid } },
    { tag: 'biz', attrs: { name: pushName } },
  ]
  const replyPromise = awaitReply(pending.conn, id, ctx.options.pairingReplyTimeoutMs)
  pending.conn.send({
    tag: 'iq',
    attrs: { from: SERVER_JID, type: 'set', id, xmlns: 'md', t: unixNow() },
    content: [{ tag: 'pair-success', attrs: {}, content: deviceNodes }],
  })
  const reply = await replyPromise
  const signed = bytes(child(child(reply, 'pair-device-sign'), 'device-identity'))
  if (reply.attrs.type !== 'result' || !signed || !verifyDeviceSignature(adv, pending.identityPublic, signed)) {
    pending.conn.endWith({ tag: 'stream:error', attrs: { code: '500' } })
    throw new Error('companion device signature in pair-device-sign is invalid')
  }
  user.name = pushName
  const device: LinkedDevice = {
    user,
    deviceId,
    jid,
    lid,
    noisePublic: pending.noisePublic,
    identityPublic: pending.identityPublic,
    registrationId: pending.registrationId,
    signedPreKey: pending.signedPreKey,
    preKeys: new Map(),
    keyIndex,
    pushName,
    loggedOut: false,
    refuseConnections: false,
    pending: [],
    unacked: new Map(),
    connection: undefined,
  }
  ctx.registry.addDevice(device)
  pending.conn.endWith({ tag: 'stream:error', attrs: { code: '515' } })
  return device
}
