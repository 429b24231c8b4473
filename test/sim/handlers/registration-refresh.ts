// companion_reg_refresh (WhatsApp, since about 2026-07-28). Sources: Baileys#2737 (the report: after the scan the
// server sends the notification, rc14 acks and drops it, the phone then says "Couldn't link device", no
// pair-success, the QR ref pool drains), PR #2765 and WA Web's WAWebHandleCompanionReqRefreshNotification (the
// companion must rotate advSecretKey and re-render the current ref). Why a retired secret cannot link: whatsmeow
// pair.go at 33cfac51 (tulir/whatsmeow), makeQRData L115-120 (the ADV secret is the QR's 4th field, the only one the
// phone learns) and handlePair L152-190 (the companion's HMAC-SHA256 with its current AdvSecretKey over ([6,5] if
// HOSTED, L31-35) ‖ Details; 401 "hmac-mismatch" / "signature-mismatch"); the HMAC itself is in ../adv.ts.
//
// Node shape (captured in the wild: the whatsmeow debug log quoted in the neonize README, `Recv <notification
// type="companion_reg_refresh"><companion_reg_refresh/></notification>` then the ack; WA Web's handler requires one
// of the children companion_reg_refresh / pair-device-rotate-qr):
//   <notification from="@s.whatsapp.net" type="companion_reg_refresh" id t><companion_reg_refresh/></notification>
// Expected answer: <ack id class="notification" type="companion_reg_refresh" to="s.whatsapp.net"/>. Nothing else.
//
// The model: the scan that triggers the refresh retires the ADV secret of the scanned QR at once; the phone can
// only HMAC with the secret in the QR it scans, so any later scan of a QR carrying a retired secret fails on the
// phone with nothing sent to the companion (Baileys#2737, #2488, whatsapp-mcp#205: "neither pair-success nor
// pair-error ever reaches the bridge"). Whether the server or the phone enforces it is not visible (unverified);
// the effect is the same. Whether every scan path triggers it is unverified: the model sends it once per
// registration socket, at its first scan. The ack is recorded, not required (unverified whether WhatsApp needs it).
import { logLink, SERVER_JID, unixNow, type PendingPairing, type SimContext } from '../context.ts'

let seq = 0

export function requestRegistrationRefresh(ctx: SimContext, pending: PendingPairing, scannedSecret: Buffer): void {
  pending.refreshRequested = true
  pending.retiredSecrets.add(scannedSecret.toString('base64'))
  const send = () => {
    pending.refreshTimer = undefined
    if (!pending.conn.isOpen || pending.claimed) return
    const id = `crr-${pending.conn.id}-${++seq}`
    pending.conn.send({
      tag: 'notification',
      attrs: { from: SERVER_JID, type: 'companion_reg_refresh', id, t: unixNow() },
      content: [{ tag: 'companion_reg_refresh', attrs: {} }],
    })
    logLink(ctx, pending.conn, 'reg_refresh_sent', { id })
  }
  // "about five seconds after a successful scan" (neonize README); the delay is an option (regRefreshDelayMs)
  const delay = ctx.options.regRefreshDelayMs * ctx.options.timeScale
  if (delay <= 0) send()
  else pending.refreshTimer = setTimeout(send, delay)
}
