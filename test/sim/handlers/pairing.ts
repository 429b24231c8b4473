import { randomBytes } from 'node:crypto'
import type { BinaryNode, proto } from '@whiskeysockets/baileys'
import { encodeHmacIdentity, signCompanion, verifyDeviceSignature } from '../adv.ts'
import {
  awaitReply,
  bytes,
  child,
  connectionState,
  logLink,
  SERVER_JID,
  uintFrom,
  unixNow,
  type PendingPairing,
  type SimContext,
} from '../context.ts'
import { normalizePhone, type LinkedDevice } from '../device-registry.ts'
import { SimScanError, type ScanRefusal } from '../scan-error.ts'
import type { SimConnection } from '../transport/connection.ts'
import { handleCompanionHello } from './pairing-code.ts'
import { refusePasskeyCeremony, sendPasskeyRequest } from './passkey.ts'
import { requestRegistrationRefresh } from './registration-refresh.ts'

/** A registration payload arrived: hand out QR refs with WhatsApp's timing and close when they are all used up. */
export function startPairing(ctx: SimContext, conn: SimConnection, clientStatic: Buffer, payload: proto.ClientPayload): void {
  const data = payload.devicePairingData!
  const { first, next, count, graceMs } = ctx.options.qrTimeoutsMs // already scaled by timeScale
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
    retiredSecrets: new Set(),
    refreshRequested: false,
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
  logLink(ctx, conn, 'pair_device_sent', { refs: String(count) })
}

export function endPairing(ctx: SimContext, pending: PendingPairing): void {
  if (pending.timer) clearTimeout(pending.timer)
  if (pending.refreshTimer) clearTimeout(pending.refreshTimer)
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

/**
 * The phone scans a QR. Links (resolves with the device, 515 follows) or rejects with a SimScanError saying what the
 * phone shows. With today's behaviours the first scan of a registration makes the server send companion_reg_refresh
 * and rejects with `registration_refresh`: the companion must show the same ref with a new ADV secret, which the
 * user scans again (registration-refresh.ts); a passkey account gets passkey_prologue_request (passkey.ts).
 */
export async function scanQr(ctx: SimContext, qr: string, opts: ScanOptions): Promise<LinkedDevice> {
  let parsed: ParsedQr
  try {
    parsed = parseQr(qr)
  } catch {
    throw new SimScanError('unknown_ref', 'not a WhatsApp linking QR (unknown ref)')
  }
  const pending = ctx.pairings.get(parsed.ref)
  if (!pending) throw new SimScanError('unknown_ref', 'QR ref unknown (never issued, already used, or its socket closed)')
  const refuse = (code: ScanRefusal, message: string): never => {
    logLink(ctx, pending.conn, 'scan_refused', { code })
    throw new SimScanError(code, message)
  }
  const ref = pending.refs.find(r => r.ref === parsed.ref)!
  if (Date.now() > ref.expiresAt) refuse('expired', 'QR ref expired')
  if (!pending.conn.isOpen) refuse('companion_gone', 'the companion that showed this QR is gone')
  if (!parsed.noiseKey.equals(pending.noisePublic)) refuse('key_mismatch', 'QR noise key does not match the socket that showed it')
  if (!parsed.identityKey.equals(pending.identityPublic)) refuse('key_mismatch', 'QR identity key does not match the registration')
  if (pending.claimed) refuse('already_scanned', 'QR already scanned')
  const phone = normalizePhone(opts.phone)
  if (!ctx.registry.user(phone)) refuse('not_on_whatsapp', `+${phone} is marked not on WhatsApp`)
  const behaviours = ctx.options.behaviours
  if (pending.retiredSecrets.has(parsed.advSecret.toString('base64'))) {
    refuse('retired_secret', "Couldn't link device — try connection again (the QR carries an ADV secret the server retired)")
  }
  if (behaviours.passkeyGate && ctx.passkeyAccounts.has(phone)) {
    sendPasskeyRequest(ctx, pending)
    refuse('passkey_required', 'the phone shows "Continue on WhatsApp Web": this account links with a passkey')
  }
  if (behaviours.companionRegRefresh && !pending.refreshRequested) {
    requestRegistrationRefresh(ctx, pending, parsed.advSecret)
    refuse('registration_refresh', 'the server asked the companion to refresh its registration: scan the QR again once it changes')
  }
  return completePairing(ctx, pending, opts, parsed.advSecret)
}

/** The phone's side once it trusts the companion: sign it, pair-success, check pair-device-sign, register, 515. */
export async function completePairing(ctx: SimContext, pending: PendingPairing, opts: ScanOptions, advSecret: Buffer): Promise<LinkedDevice> {
  const phone = normalizePhone(opts.phone)
  const user = ctx.registry.user(phone)
  if (!user) throw new SimScanError('not_on_whatsapp', `+${phone} is marked not on WhatsApp`)
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
  logLink(ctx, pending.conn, 'pair_success_sent', { id })
  const reply = await replyPromise
  const signed = bytes(child(child(reply, 'pair-device-sign'), 'device-identity'))
  if (reply.attrs.type !== 'result' || !signed || !verifyDeviceSignature(adv, pending.identityPublic, signed)) {
    pending.conn.endWith({ tag: 'stream:error', attrs: { code: '500' } })
    throw new SimScanError('bad_device_signature', 'companion device signature in pair-device-sign is invalid')
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
    logins: 0,
    pending: [],
    unacked: new Map(),
    connection: undefined,
    historySyncPending: ctx.options.behaviours.historySyncOnLink,
  }
  ctx.registry.addDevice(device)
  logLink(ctx, pending.conn, 'paired', { jid })
  pending.conn.endWith({ tag: 'stream:error', attrs: { code: '515' } })
  return device
}

/** A stanza on a socket that is still registering (pairing): acks, IQ replies, pairing-code stages, passkey IQs. */
export function handleRegistrationNode(ctx: SimContext, c: SimConnection, node: BinaryNode): void {
  const state = connectionState(c)
  if (node.tag === 'ack' && node.attrs.class === 'notification') {
    // recorded, not required: Baileys#2737 (comment of 2026-09-10) linked with PR #2765 alone, i.e. without the
    // pre-login ack of PR #2749, so WhatsApp seemingly does not need it (unverified)
    logLink(ctx, c, 'notification_ack', { id: node.attrs.id ?? '', type: node.attrs.type ?? '', to: node.attrs.to ?? '' })
    return
  }
  if (node.tag !== 'iq') return
  if (node.attrs.type === 'result' || node.attrs.type === 'error') state.replies.get(node.attrs.id ?? '')?.(node)
  const reg = child(node, 'link_code_companion_reg')
  if (reg?.attrs.stage === 'companion_hello') c.send(handleCompanionHello(ctx, c, node))
  else if (reg?.attrs.stage === 'companion_finish') state.linkCodeFinish?.(node)
  else if (node.attrs.type !== 'result' && (child(node, 'passkey_prologue') || child(node, 'passkey_request_options'))) {
    c.send(refusePasskeyCeremony(ctx, c, node))
  }
}
