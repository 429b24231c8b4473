// Account restrictions: the reachout time-lock and error 463. Sources: Baileys#2441 (463 is the reach-out
// time-lock, WA Web NackCallerReachoutTimelocked; accounts sending to many new contacts), #2800 ("30-40 msgs to new
// users → 24 h"), whatsmeow#1197 (a live capture: NotificationUserReachoutTimelockUpdate with EnforcementType
// RESTRICT_ALL_COMPANIONS, IsActive, TimeEnforcementEnds; "server returned error 463" for new contacts only),
// evolution-go#50 (463 is overloaded: established chats keep working), rc14 for the wire shapes (the server ack
// `<ack class="message" id from t error="463"/>` read by Socket/messages-recv.js handleBadAck; Socket/mex.js and
// Types/Mex.js for the w:mex query ids; whatsmeow send.go reads the same `error` attribute).
//
// The model: while an account is restricted, a message from any of its companions to a contact it has no
// conversation with gets the 463 server ack and goes nowhere; messages to existing conversations are relayed. The
// w:mex queries answer the lock (REACHOUT_TIMELOCK 23983697327930364) and the new-chat cap (MESSAGE_CAPPING_INFO
// 24503548349331633); `restrict()` pushes NotificationUserReachoutTimelockUpdate to the online companions. The lock
// ends at its time; whether WhatsApp pushes an update when it lifts is unverified, so nothing is pushed then.
// Query ids, field names and the cap's quota are rc14's and unverified against the real server.
import type { BinaryNode } from '@whiskeysockets/baileys'
import { child, iqResult, logLink, SERVER_JID, unixNow, type Restriction, type SimContext } from '../context.ts'
import { normalizePhone, type LinkedDevice, type SimUser } from '../device-registry.ts'

const REACHOUT_TIMELOCK = '23983697327930364'
const MESSAGE_CAPPING_INFO = '24503548349331633'
/** unverified: the real quota is not published */
const NEW_CHAT_QUOTA = 50
const DAY_S = 86_400

export function activeRestriction(ctx: SimContext, user: SimUser): Restriction | undefined {
  if (!ctx.options.behaviours.restrictions) return undefined
  const r = ctx.restrictions.get(user.phone)
  if (!r) return undefined
  if (r.until <= Date.now()) {
    ctx.restrictions.delete(user.phone)
    return undefined
  }
  return r
}

/** True when the server refuses (463) `device`'s message to `recipient`: restricted account, new contact. */
export function refuses463(ctx: SimContext, device: LinkedDevice, recipient: SimUser): boolean {
  if (recipient === device.user || device.user.chats.has(recipient.phone)) return false
  const refused = !!activeRestriction(ctx, device.user)
  if (refused && device.connection) logLink(ctx, device.connection, 'restricted_ack', { to: recipient.phone })
  return refused
}

const timelockJson = (r: Restriction | undefined) => ({
  is_active: !!r,
  time_enforcement_ends: r ? String(Math.floor(r.until / 1000)) : '0',
  enforcement_type: r ? r.enforcementType : 'DEFAULT',
})

/** rc14 Types/State.d.ts NewChatMessageCapInfo: the day's cycle, `newChatsStarted` of NEW_CHAT_QUOTA used. */
const capJson = (user: SimUser) => {
  const now = Math.floor(Date.now() / 1000)
  const used = user.newChatsStarted
  return {
    total_quota: NEW_CHAT_QUOTA,
    used_quota: used,
    cycle_start_timestamp: String(now - (now % DAY_S)),
    cycle_end_timestamp: String(now - (now % DAY_S) + DAY_S),
    server_sent_timestamp: String(now),
    ote_status: 'NOT_ELIGIBLE',
    mv_status: 'NOT_ELIGIBLE',
    capping_status: used >= NEW_CHAT_QUOTA ? 'CAPPED' : 'NONE',
  }
}

/** `<iq xmlns="w:mex" type="get"><query query_id>{"variables":…}</query></iq>` */
export function handleMexQuery(ctx: SimContext, device: LinkedDevice, iq: BinaryNode): BinaryNode {
  const query = child(iq, 'query')
  const queryId = query?.attrs.query_id
  let data: Record<string, unknown>
  if (queryId === REACHOUT_TIMELOCK) {
    const lock = activeRestriction(ctx, device.user)
    if (device.connection) logLink(ctx, device.connection, 'timelock_query', { phone: device.user.phone, active: String(!!lock) })
    data = { xwa2_fetch_account_reachout_timelock: timelockJson(lock) }
  } else if (queryId === MESSAGE_CAPPING_INFO) {
    if (device.connection) logLink(ctx, device.connection, 'cap_query', { phone: device.user.phone })
    data = { xwa2_message_capping_info: capJson(device.user) }
  } else {
    const body = { errors: [{ message: `unknown query ${queryId ?? '(none)'}`, extensions: { error_code: 400 } }] }
    return iqResult(iq, [{ tag: 'result', attrs: {}, content: Buffer.from(JSON.stringify(body)) }])
  }
  return iqResult(iq, [{ tag: 'result', attrs: {}, content: Buffer.from(JSON.stringify({ data })) }])
}

let seq = 0

/** The server's push when it sets a lock (whatsmeow#1197 shows it arriving while online). */
export function pushTimelockUpdate(ctx: SimContext, user: SimUser): void {
  const data = { xwa2_notify_account_reachout_timelock: timelockJson(activeRestriction(ctx, user)) }
  pushMexNotification(user, 'NotificationUserReachoutTimelockUpdate', data)
}

/**
 * The server's push of the new-chat cap: `<notification type="mex"><update op_name="MessageCappingInfoNotification">`
 * with {"data":{"xwa2_notify_new_chat_messages_capping_info_update":…}} (rc14 messages-recv.js handleMexNotification
 * and handleMessageCappingNotification). When the real server sends it is unverified: only on `sim.pushNewChatCap`.
 */
export function pushNewChatCap(ctx: SimContext, user: SimUser): void {
  pushMexNotification(user, 'MessageCappingInfoNotification', { xwa2_notify_new_chat_messages_capping_info_update: capJson(user) })
}

/** `<notification type="mex"><update op_name=…>{"data":…}</update>` to each of the user's open companions. */
function pushMexNotification(user: SimUser, opName: string, data: object): void {
  const body = Buffer.from(JSON.stringify({ data }))
  for (const d of user.companions.values()) {
    const conn = d.connection
    if (!conn?.isOpen || d.loggedOut) continue
    conn.send({
      tag: 'notification',
      attrs: { from: SERVER_JID, type: 'mex', id: `mex-${d.deviceId}-${++seq}`, t: unixNow() },
      content: [{ tag: 'update', attrs: { op_name: opName }, content: body }],
    })
  }
}

export interface RestrictOptions {
  /** when the lock ends (default: durationMs from now) */
  until?: Date
  /** default 24 h ("30-40 msgs to new users → 24 h", Baileys#2800) */
  durationMs?: number
  /** default RESTRICT_ALL_COMPANIONS (seen in whatsmeow#1197) */
  enforcementType?: string
  /**
   * default true: push NotificationUserReachoutTimelockUpdate to the online companions. false: a lock the companion
   * does not hear of (set while it was away, or a push it missed) is first met as a 463 on a send.
   */
  push?: boolean
}

/** Sets the reachout time-lock of `phone`'s account and pushes it to its online companions. Returns the end. */
export function restrictAccount(ctx: SimContext, phone: string, opts: RestrictOptions = {}): Date {
  const user = ctx.registry.user(phone)
  if (!user) throw new Error(`${normalizePhone(phone)} is marked not on WhatsApp`)
  const until = opts.until?.getTime() ?? Date.now() + (opts.durationMs ?? DAY_S * 1000)
  ctx.restrictions.set(user.phone, { until, enforcementType: opts.enforcementType ?? 'RESTRICT_ALL_COMPANIONS' })
  if (opts.push ?? true) pushTimelockUpdate(ctx, user)
  return new Date(until)
}
