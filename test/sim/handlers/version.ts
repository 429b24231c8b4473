// The client version floor and where the current version is published.
//
// Refusal: the version travels in ClientPayload.userAgent.appVersion (rc14 Utils/validate-connection.js:L9-16), so
// the server can judge it only after the Noise handshake; an outdated client gets one stanza right after it,
// `<failure reason="405" location="…"/>`, instead of pair-device or success, then the connection closes (Baileys#1937
// debug log, "immediately after the initial handshake", before any QR; #1634 location "cln"; #2370 for
// registrations; whatsmeow types/events/events.go:L198 ConnectFailureClientOutdated "client is out of date").
// Both registrations and logins are refused. How old is too old is not published (unverified): versions.minimum.
//
// Publication: fetchLatestWaWebVersion (rc14 Utils/generics.js:L218-259) GETs https://web.whatsapp.com/sw.js and
// reads /\\?"client_revision\\?":\s*(\d+)/. The simulator serves GET /sw.js on its own port with that field; the
// rest of the real file is not modelled.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BinaryNode, proto } from '@whiskeysockets/baileys'
import { compareVersions, formatVersion, type WaVersion } from '../behaviours.ts'
import { logLink, type SimContext } from '../context.ts'
import type { SimConnection } from '../transport/connection.ts'

export function clientVersion(payload: proto.IClientPayload): WaVersion {
  const v = payload.userAgent?.appVersion
  return [v?.primary ?? 0, v?.secondary ?? 0, v?.tertiary ?? 0]
}

/** The `<failure reason="405">` an outdated client gets, or undefined when its version is accepted. */
export function versionRefusal(ctx: SimContext, conn: SimConnection, payload: proto.IClientPayload): BinaryNode | undefined {
  if (!ctx.options.behaviours.versionFloor) return undefined
  const version = clientVersion(payload)
  if (compareVersions(version, ctx.options.versions.minimum) >= 0) return undefined
  logLink(ctx, conn, 'version_refused', { version: formatVersion(version), minimum: formatVersion(ctx.options.versions.minimum) })
  return { tag: 'failure', attrs: { reason: '405', location: 'cln' } }
}

/** The body of GET /sw.js: enough of WhatsApp's service worker for fetchLatestWaWebVersion's regex. */
export function serviceWorkerScript(current: WaVersion): string {
  const data = JSON.stringify({ dynamic_data: { SiteData: { client_revision: current[2], server_revision: current[2] } } })
  return `/* WhatsApp simulator service worker (only client_revision is modelled) */\nself.__swData=JSON.parse(${JSON.stringify(data)});\n`
}

/** The simulator's plain-HTTP side: GET /sw.js; anything else wants the WebSocket upgrade (426). */
export function serveHttp(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/sw.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(serviceWorkerScript(ctx.options.versions.current))
    return
  }
  res.writeHead(426).end()
}
