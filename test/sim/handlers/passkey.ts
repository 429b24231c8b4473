// passkey_prologue_request (WhatsApp, since about 2026-06-30). Sources: Baileys#2672/#2694 (accounts in the rollout
// see "Create a passkey" / "Continue on WhatsApp Web" on the phone, and the socket "just hangs" on rc14),
// whatsmeow pair-passkey.go (handlePasskeyNotification L49, parsePasskeyNotification L288-303: the notification
// carries <passkey_request_options> with WebAuthn JSON), notification.go L507 (whatsmeow b572e5bc).
//
//   <notification from="@s.whatsapp.net" type="passkey_prologue_request" id t>
//     <passkey_request_options>{"challenge","timeout","rpId","allowCredentials","userVerification","extensions"}</…>
//   </notification>
//
// Values: rpId whatsapp.com and userVerification required (Baileys#2672), a 10-minute timeout (openmessage#79),
// empty allowCredentials (a client's comment): reports, unverified in code. The server sends no pair-success:
// the companion must run the WebAuthn ceremony (<iq xmlns=md type=set><passkey_prologue>…), which the simulator
// does not implement: it answers such an IQ with an error, so a client that tries learns it here.
import { randomBytes } from 'node:crypto'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { iqError, logLink, SERVER_JID, unixNow, type PendingPairing, type SimContext } from '../context.ts'
import type { SimConnection } from '../transport/connection.ts'

const PASSKEY_TIMEOUT_MS = 600_000

let seq = 0

export function sendPasskeyRequest(ctx: SimContext, pending: PendingPairing): void {
  const options = {
    challenge: randomBytes(32).toString('base64url'),
    timeout: PASSKEY_TIMEOUT_MS,
    rpId: 'whatsapp.com',
    allowCredentials: [],
    userVerification: 'required',
    extensions: {},
  }
  const id = `pkr-${pending.conn.id}-${++seq}`
  pending.conn.send({
    tag: 'notification',
    attrs: { from: SERVER_JID, type: 'passkey_prologue_request', id, t: unixNow() },
    content: [{ tag: 'passkey_request_options', attrs: {}, content: Buffer.from(JSON.stringify(options)) }],
  })
  logLink(ctx, pending.conn, 'passkey_request_sent', { id })
}

/** `<iq xmlns=md><passkey_prologue>` (or the options IQ) from a passkey-capable client: not simulated. */
export function refusePasskeyCeremony(ctx: SimContext, conn: SimConnection, iq: BinaryNode): BinaryNode {
  logLink(ctx, conn, 'passkey_prologue_refused')
  return iqError(iq, 501, 'feature-not-implemented')
}
