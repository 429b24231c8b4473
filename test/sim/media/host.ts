// The simulator's media host (WhatsApp's mmg CDN): encrypted uploads, downloads by direct path, URLs that expire.
// - media_conn (iq xmlns="w:m"): `<media_conn auth ttl auth_ttl max_buckets><host hostname/></media_conn>`
//   (whatsmeow mediaconn.go queryMediaConn; rc14 Socket/messages-send.js refreshMediaConn reads hostname,
//   maxContentLengthBytes, auth, ttl).
// - upload: `POST https://<host>/mms/<type>/<token>?auth=<auth>&token=<token>`, token = base64url(fileEncSha256)
//   without padding, body = the encrypted file; the answer is JSON `{ url, direct_path }` (rc14
//   getWAUploadToServer; whatsmeow upload.go UploadResponse).
// - download: `GET https://<host><direct_path>` (rc14 getUrlFromDirectPath). A path whose `oe` (expiry, hex unix
//   seconds, as in WhatsApp's own paths) has passed answers 410, a file the CDN dropped 404: the two statuses rc14
//   (REUPLOAD_REQUIRED_STATUS in Utils/messages.js) and whatsmeow (ErrMediaDownloadFailedWith404/410) treat as
//   "ask the phone to re-upload". Which of the two the real CDN sends for which case is not documented.
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { generateSimulatorTls } from './tls.ts'

export interface MediaHostOptions {
  /** how long a direct path stays downloadable (WhatsApp: weeks; default 14 days) */
  urlTtlMs: number
  /** largest upload accepted (advertised as maxContentLengthBytes; default 100 MB) */
  maxUploadBytes: number
}

export interface MediaHostStats {
  uploads: number
  uploadsRefused: number
  downloads: number
  /** GETs not answered 200 (403, 404, 410, or a failure from failDownloads) */
  downloadsRefused: number
}

/** What a CDN under load answers (whatsmeow retries these: retryafter.Should) */
export type RetryableStatus = 429 | 500 | 502 | 503 | 504

interface StoredFile {
  file: Buffer
  /** the CDN deleted it: 404 */
  dropped: boolean
  /** its URLs expired: 410 */
  stale: boolean
  /** the next GETs answer these statuses (a CDN under load: 5xx / 429), one each */
  failures: RetryableStatus[]
}

/** mms types of MEDIA_PATH_MAP (rc14 Defaults/index.js) that carry message media */
const MMS_TYPES = new Set(['image', 'video', 'audio', 'document', 'md-app-state'])
const AUTH_TTL_S = 21_600
const CONN_TTL_S = 300

const b64url = (buf: Buffer) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

export class MediaHost {
  readonly hostname: string
  readonly caPem: string
  readonly stats: MediaHostStats = { uploads: 0, uploadsRefused: 0, downloads: 0, downloadsRefused: 0 }
  private readonly files = new Map<string, StoredFile>()
  private readonly auths = new Map<string, number>()
  private readonly secret = randomBytes(32)
  private seq = 0

  private constructor(
    private readonly server: Server,
    caPem: string,
    host: string,
    private readonly options: MediaHostOptions,
  ) {
    this.caPem = caPem
    const port = (server.address() as AddressInfo).port
    this.hostname = `${host}:${port}`
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', `https://${this.hostname}`)
      if (req.method === 'POST' && url.pathname.startsWith('/mms/')) {
        const chunks: Buffer[] = []
        let size = 0
        let tooLarge = false
        req.on('data', (c: Buffer) => {
          size += c.length
          if (size > this.options.maxUploadBytes) tooLarge = true
          else chunks.push(c)
        })
        req.on('end', () => {
          const answer = tooLarge ? { status: 413, body: { error: 'payload too large' } } : this.upload(url, Buffer.concat(chunks))
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body))
        })
        return
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        const got = this.fetch(url.pathname + url.search)
        if (got.status !== 200) {
          res.writeHead(got.status).end()
          return
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': got.file.length })
        res.end(req.method === 'HEAD' ? undefined : got.file)
        return
      }
      res.writeHead(405).end()
    })
  }

  static async start(host: string, options: Partial<MediaHostOptions> = {}): Promise<MediaHost> {
    const tls = generateSimulatorTls()
    const server = createServer({ key: tls.keyPem, cert: tls.certPem })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return new MediaHost(server, tls.caPem, host, {
      urlTtlMs: options.urlTtlMs ?? 14 * 86_400_000,
      maxUploadBytes: options.maxUploadBytes ?? 100 * 1024 * 1024,
    })
  }

  /** The answer to `<iq xmlns="w:m" type="set"><media_conn/></iq>`: a fresh upload auth token and this host. */
  mediaConnNode(): BinaryNode {
    const auth = randomBytes(24).toString('base64')
    this.auths.set(auth, Date.now() + AUTH_TTL_S * 1000)
    return {
      tag: 'media_conn',
      attrs: { auth, ttl: String(CONN_TTL_S), auth_ttl: String(AUTH_TTL_S), max_buckets: '12' },
      content: [{ tag: 'host', attrs: { hostname: this.hostname, maxContentLengthBytes: String(this.options.maxUploadBytes) } }],
    }
  }

  /** Stores an encrypted file under a new direct path (an upload, or a phone re-uploading for a media retry). */
  publish(file: Buffer): { directPath: string; url: string } {
    const objectId = `${Date.now()}_${++this.seq}_${randomBytes(6).toString('hex')}`
    this.files.set(objectId, { file, dropped: false, stale: false, failures: [] })
    const directPath = this.signPath(objectId, Date.now() + this.options.urlTtlMs)
    return { directPath, url: `https://${this.hostname}${directPath}` }
  }

  /** In-process download, for simulated phones; the same answers an HTTPS GET gets. */
  fetch(directPath: string): { status: 200; file: Buffer } | { status: 403 | 404 | 410 | 429 | 500 | 502 | 503 | 504 } {
    const url = new URL(directPath, 'https://sim')
    const match = /^\/v\/t62\.7118-24\/([^/]+)\.enc$/.exec(url.pathname)
    const oe = url.searchParams.get('oe')
    const stored = match ? this.files.get(match[1]!) : undefined
    if (!match || !oe || !stored) return this.refused(404)
    if (url.searchParams.get('oh') !== this.signature(match[1]!, oe)) return this.refused(403)
    if (stored.dropped) return this.refused(404)
    if (stored.stale || parseInt(oe, 16) * 1000 <= Date.now()) return this.refused(410)
    const failure = stored.failures.shift()
    if (failure !== undefined) return this.refused(failure)
    this.stats.downloads++
    return { status: 200, file: stored.file }
  }

  /** Makes every current URL of the file behind `directPath` stale (the next GET is 410), as weeks passing would. */
  expire(directPath: string): void {
    const stored = this.files.get(this.objectIdOf(directPath) ?? '')
    if (!stored) throw new Error(`no media at ${directPath}`)
    stored.stale = true
  }

  /** The CDN deletes the file (the next GET is 404). */
  drop(directPath: string): void {
    const stored = this.files.get(this.objectIdOf(directPath) ?? '')
    if (!stored) throw new Error(`no media at ${directPath}`)
    stored.dropped = true
  }

  /**
   * The next `count` downloads of the file answer `status` (default 503), then it is served again: a CDN under load.
   * whatsmeow (download.go shouldRetryMediaDownload) retries such answers (5xx, 429) and network errors; 403/404/410
   * mean "ask the phone" instead.
   */
  failDownloads(directPath: string, count: number, status: RetryableStatus = 503): void {
    this.stored(directPath).failures.push(...Array.from({ length: count }, () => status))
  }

  /**
   * One byte of the stored encrypted file flips (a damaged CDN copy, or someone in between): it still downloads, and
   * only the receiver's checks can tell (whatsmeow: HMAC and fileEncSha256, then fileSha256 of the plaintext).
   */
  corrupt(directPath: string): void {
    const stored = this.stored(directPath)
    const file = Buffer.from(stored.file)
    const at = Math.floor(file.length / 2)
    file[at] = file[at]! ^ 0xff
    stored.file = file
  }

  close(): Promise<void> {
    return new Promise(resolve => {
      this.server.closeAllConnections()
      this.server.close(() => resolve())
    })
  }

  private upload(url: URL, body: Buffer): { status: number; body: object } {
    const [, , type, token] = url.pathname.split('/')
    const auth = url.searchParams.get('auth') ?? ''
    const authExpiry = this.auths.get(auth)
    if (!type || !MMS_TYPES.has(type) || !token) return this.refusedUpload(404, 'unknown upload path')
    if (!authExpiry || authExpiry < Date.now()) return this.refusedUpload(401, 'bad or expired auth')
    if (body.length === 0) return this.refusedUpload(400, 'empty body')
    if (b64url(createHash('sha256').update(body).digest()) !== decodeURIComponent(token)) return this.refusedUpload(400, 'hash mismatch')
    this.stats.uploads++
    const { directPath, url: mediaUrl } = this.publish(body)
    return { status: 200, body: { url: mediaUrl, direct_path: directPath, handle: null, object_id: randomBytes(8).toString('hex') } }
  }

  private refusedUpload(status: number, error: string) {
    this.stats.uploadsRefused++
    return { status, body: { error } }
  }

  private stored(directPath: string): StoredFile {
    const stored = this.files.get(this.objectIdOf(directPath) ?? '')
    if (!stored) throw new Error(`no media at ${directPath}`)
    return stored
  }

  private refused<S extends 403 | 404 | 410 | RetryableStatus>(status: S): { status: S } {
    this.stats.downloadsRefused++
    return { status }
  }

  private signature(objectId: string, oe: string): string {
    return b64url(createHmac('sha256', this.secret).update(`${objectId}|${oe}`).digest().subarray(0, 16))
  }

  private signPath(objectId: string, expiresAt: number): string {
    const oe = Math.floor(expiresAt / 1000).toString(16).toUpperCase()
    return `/v/t62.7118-24/${objectId}.enc?ccb=11-4&oh=${this.signature(objectId, oe)}&oe=${oe}&_nc_sid=5e03e0&mms3=true`
  }

  private objectIdOf(directPath: string): string | undefined {
    return /^\/v\/t62\.7118-24\/([^/?]+)\.enc/.exec(directPath)?.[1]
  }
}
