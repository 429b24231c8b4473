import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { BufferJSON } from '@whiskeysockets/baileys'
import type { Behaviours } from './behaviours.ts'
import type { SeedConversation } from './history.ts'
import { SimScanError } from './scan-error.ts'
import type { Simulator } from './server.ts'
import type { FaultKind, FaultOptions } from './faults.ts'
import type { ReceiptMode } from './device-registry.ts'
import type { MediaInput } from './media/phone-media.ts'

/**
 * A small HTTP control API for a simulator running in its own process (cli.ts). JSON bodies; Buffers in
 * responses use Baileys' BufferJSON encoding ({type:'Buffer', data: base64}), so `JSON.parse(text, BufferJSON.reviver)`.
 *
 *   GET  /info                              { url, rootPublicKeyBase64, mediaHost, mediaCaPem }
 *   GET  /devices                           DeviceInfo[]
 *   GET  /stats                             { recorded, stanzasIn, connections, cpuUserMs, cpuSystemMs, mainThreadActiveMs }
 *   POST /scan        { qr, phone, pushName }          { phone, jid, lid, deviceId }
 *   POST /pairing-code { code, phone, pushName }       { phone, jid, lid, deviceId }
 *   POST /provision   { phone, pushName, preKeyCount } ProvisionedDevice (creds + preKeys, BufferJSON)
 *   POST /send        { from, to, text, id? }          { id }
 *   POST /send-media  { from, to, media: MediaInput (data as base64), id? }   { id, directPath }
 *   POST /expire-media { directPath }                  {}      (the next download answers 410)
 *   GET  /media-stats                                  MediaHostStats
 *   GET  /received?phone=+1555…                        RecordedMessage[]
 *   POST /contact     { phone, name?, receipts? }      {}
 *   POST /not-on-whatsapp { phone }                    {}
 *   POST /fault       { target, kind, opts? }          {}
 *   POST /clear-faults { target }                      {}
 *   GET  /behaviours                                   Behaviours
 *   POST /behaviours  { …Partial<Behaviours> }         Behaviours
 *   POST /require-passkey { phone, required? }         {}
 *   POST /restrict    { phone, durationMs?, enforcementType? }  { until }
 *   POST /seed-history { phone, conversations }        {}
 *   GET  /link-events                                  LinkEvent[]
 * A scan or pairing code the phone refuses answers 400 { error, code } (SimScanError codes).
 */
export async function startControlServer(sim: Simulator, port = 0, host = '127.0.0.1'): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    void route(sim, req, res).catch(err =>
      send(res, 400, { error: err instanceof Error ? err.message : String(err), ...(err instanceof SimScanError ? { code: err.code } : {}) }),
    )
  })
  await new Promise<void>(resolve => server.listen(port, host, resolve))
  const addr = server.address() as AddressInfo
  return { url: `http://${host}:${addr.port}`, server }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body, BufferJSON.replacer))
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
}

async function route(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x')
  const body = req.method === 'POST' ? await readBody(req) : {}
  const s = (k: string) => String(body[k] ?? '')
  switch (`${req.method} ${url.pathname}`) {
    case 'GET /info':
      return send(res, 200, { url: sim.url, rootPublicKeyBase64: sim.rootPublicKeyBase64, mediaHost: sim.mediaHost, mediaCaPem: sim.mediaCaPem })
    case 'GET /devices':
      return send(res, 200, sim.devices())
    case 'GET /stats': {
      const cpu = process.cpuUsage()
      const elu = performance.eventLoopUtilization()
      return send(res, 200, { ...sim.stats(), cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, mainThreadActiveMs: elu.active })
    }
    case 'POST /scan':
      return send(res, 200, await sim.scanQr(s('qr'), { phone: s('phone'), pushName: body.pushName as string | undefined }))
    case 'POST /pairing-code':
      return send(res, 200, await sim.enterPairingCode(s('code'), { phone: s('phone'), pushName: body.pushName as string | undefined }))
    case 'POST /provision':
      return send(
        res,
        200,
        sim.provisionLinkedDevice({
          phone: s('phone'),
          pushName: body.pushName as string | undefined,
          preKeyCount: body.preKeyCount as number | undefined,
        }),
      )
    case 'POST /send':
      return send(res, 200, { id: await sim.contact(s('from')).sendText(s('to'), s('text'), { id: body.id as string | undefined }) })
    case 'POST /send-media': {
      const media = body.media as MediaInput & { data: string }
      const input: MediaInput = { ...media, data: Buffer.from(media.data, 'base64') }
      return send(res, 200, await sim.contact(s('from')).sendMedia(s('to'), input, { id: body.id as string | undefined }))
    }
    case 'POST /expire-media':
      sim.expireMedia(s('directPath'))
      return send(res, 200, {})
    case 'GET /media-stats':
      return send(res, 200, sim.mediaStats())
    case 'GET /received':
      return send(res, 200, sim.contact(url.searchParams.get('phone') ?? '').received())
    case 'POST /contact':
      sim.contact(s('phone'), { name: body.name as string | undefined, receipts: body.receipts as ReceiptMode | undefined })
      return send(res, 200, {})
    case 'POST /not-on-whatsapp':
      sim.markNotOnWhatsApp(s('phone'))
      return send(res, 200, {})
    case 'POST /fault':
      sim.fault(s('target'), s('kind') as FaultKind, body.opts as FaultOptions | undefined)
      return send(res, 200, {})
    case 'POST /clear-faults':
      sim.clearFaults(s('target'))
      return send(res, 200, {})
    case 'GET /behaviours':
      return send(res, 200, sim.behaviours())
    case 'POST /behaviours':
      sim.setBehaviours(body as Partial<Behaviours>)
      return send(res, 200, sim.behaviours())
    case 'POST /require-passkey':
      sim.requirePasskey(s('phone'), body.required !== false)
      return send(res, 200, {})
    case 'POST /restrict':
      return send(res, 200, {
        until: sim.restrict(s('phone'), {
          durationMs: body.durationMs as number | undefined,
          enforcementType: body.enforcementType as string | undefined,
        }),
      })
    case 'POST /seed-history':
      sim.seedHistory(s('phone'), body.conversations as SeedConversation[])
      return send(res, 200, {})
    case 'GET /link-events':
      return send(res, 200, sim.linkEvents())
    default:
      return send(res, 404, { error: 'not found' })
  }
}
