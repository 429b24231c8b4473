import { afterEach, describe, expect, it } from 'vitest'
import { downloadMediaMessage, getMediaKeys, type WAMessage } from '@whiskeysockets/baileys'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { mediaKeys, startSimulator, type MediaInput, type Simulator } from './index.ts'
import { connectLinked, simMediaDispatcher } from './testing/index.ts'
import { mediaFixtures } from '../support/media-fixtures.ts'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map(s => s.stop()))
})
const start = async (opts = {}) => {
  const sim = await startSimulator(opts)
  sims.push(sim)
  return sim
}

const inputs: MediaInput[] = [
  { kind: 'image', data: mediaFixtures.png(), mimetype: 'image/png', caption: 'a photo', width: 1, height: 1 },
  { kind: 'video', data: mediaFixtures.mp4(300_000), mimetype: 'video/mp4', caption: 'a clip', seconds: 3 },
  { kind: 'audio', data: mediaFixtures.mp3(), mimetype: 'audio/mpeg', seconds: 2 },
  { kind: 'voice', data: mediaFixtures.ogg(), mimetype: 'audio/ogg; codecs=opus', seconds: 4 },
  { kind: 'document', data: mediaFixtures.pdf(), mimetype: 'application/pdf', fileName: 'quote.pdf', caption: 'the quote' },
  { kind: 'sticker', data: mediaFixtures.webp(), mimetype: 'image/webp' },
]

// `host`: after updateMediaMessage rc14 rebuilds `url` from the socket's media host, which stays mmg.whatsapp.net
// until that socket queried media_conn (Socket/messages-send.js mediaHost); the direct path is what matters
const download = (sim: Simulator, m: WAMessage) =>
  downloadMediaMessage(m, 'buffer', { host: sim.mediaHost, options: { dispatcher: simMediaDispatcher(sim) } as never } as never) as Promise<Buffer>

describe('simulator media', () => {
  it('derives the media keys the way Baileys does (HKDF "WhatsApp <Kind> Keys"), written independently of it', async () => {
    const key = randomBytes(32)
    for (const type of ['image', 'video', 'audio', 'ptt', 'document', 'sticker'] as const) {
      const ours = mediaKeys(key, type)
      const theirs = await getMediaKeys(key, type)
      expect([ours.iv, ours.cipherKey, ours.macKey].map(b => b.toString('hex'))).toEqual([theirs.iv, theirs.cipherKey, theirs.macKey].map(b => Buffer.from(b!).toString('hex')))
    }
  })

  it('a contact sends each media kind encrypted; stock Baileys downloads (TLS with the simulator CA) and decrypts the same bytes', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550003001', 'Alice')
    const bob = sim.contact('+15550003002', { name: 'Bob', receipts: 'none' })
    for (const input of inputs) await bob.sendMedia('+15550003001', input)
    const got = await alice.waitForInbox(inputs.length)
    for (const [i, input] of inputs.entries()) {
      const m = got[i]!
      expect(await download(sim, m)).toEqual(input.data)
      const part = Object.values(m.message!)[0] as { mimetype: string; url: string; directPath: string }
      expect(part.mimetype).toBe(input.mimetype)
      expect(part.url.startsWith(`https://${sim.mediaHost}/v/t62.7118-24/`)).toBe(true)
    }
    expect(got[3]!.message?.audioMessage?.ptt).toBe(true)
    expect(got[2]!.message?.audioMessage?.ptt).toBe(false)
    expect(got[4]!.message?.documentMessage).toMatchObject({ fileName: 'quote.pdf', caption: 'the quote' })
    expect(got[0]!.message?.imageMessage?.caption).toBe('a photo')
    expect(sim.mediaStats()).toMatchObject({ downloads: inputs.length, downloadsRefused: 0 })
    alice.end()
  })

  it('Baileys uploads each kind to the media host; the contact downloads, checks hashes and mac, and decrypts the same bytes', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550003011', 'Alice')
    const bob = sim.contact('+15550003012', { receipts: 'none' })
    const jid = '15550003012@s.whatsapp.net'
    const contents = [
      { image: mediaFixtures.png(), mimetype: 'image/png', caption: 'photo' },
      { video: mediaFixtures.mp4(200_000), mimetype: 'video/mp4', caption: 'clip', seconds: 2 },
      { audio: mediaFixtures.mp3(), mimetype: 'audio/mpeg', seconds: 1 },
      { audio: mediaFixtures.ogg(), mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 1 },
      { document: mediaFixtures.pdf(), mimetype: 'application/pdf', fileName: 'catalog.pdf', caption: 'catalog' },
      { sticker: mediaFixtures.webp(), mimetype: 'image/webp' },
    ]
    const ids: string[] = []
    for (const c of contents) ids.push((await alice.sock.sendMessage(jid, c as never))!.key.id!)
    const received = await bob.waitForCount(contents.length)
    expect(received.map(r => r.id)).toEqual(ids)
    expect(received.map(r => r.media?.kind)).toEqual(['image', 'video', 'audio', 'voice', 'document', 'sticker'])
    for (const [i, c] of contents.entries()) {
      const data = Object.values(c)[0] as Buffer
      expect(received[i]!.media?.error).toBeUndefined()
      expect(received[i]!.media?.data).toEqual(data)
    }
    expect(received[4]!.media).toMatchObject({ fileName: 'catalog.pdf', caption: 'catalog', mimetype: 'application/pdf' })
    expect(received[0]!.text).toBe('photo')
    // the account's phone decrypted its DeviceSentMessage copies and their media too
    expect(sim.phone('+15550003011').sentFromLinkedDevices().map(m => m.media?.data.length)).toEqual(contents.map(c => (Object.values(c)[0] as Buffer).length))
    expect(sim.stats()).toMatchObject({ mediaErrors: 0, decryptErrors: 0, handlerErrors: 0, mediaReceived: contents.length * 2 })
    expect(sim.mediaStats()).toMatchObject({ uploads: contents.length, uploadsRefused: 0 })
    alice.end()
  })

  it('an expired URL answers 410; stock downloadMediaMessage never asks for the re-upload (Baileys#2767); updateMediaMessage gets a new path', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550003021', 'Alice')
    const bob = sim.contact('+15550003022', { receipts: 'none' })
    const photo = mediaFixtures.jpeg()
    const { directPath } = await bob.sendMedia('+15550003021', { kind: 'image', data: photo, mimetype: 'image/jpeg' })
    const [m] = await alice.waitForInbox(1)
    sim.expireMedia(directPath)

    // rc14 Utils/messages.js downloadMediaMessage: `typeof error?.status === 'number'`, but the Boom thrown by
    // getHttpStream carries the HTTP status as output.statusCode, so the re-upload branch never runs
    let reuploadAsked = 0
    const ctx = { logger: pino({ level: 'silent' }), reuploadRequest: async (msg: WAMessage) => { reuploadAsked++; return msg } }
    const failure = await downloadMediaMessage(m!, 'buffer', { options: { dispatcher: simMediaDispatcher(sim) } as never }, ctx as never)
      .then(() => null, (e: { output?: { statusCode?: number }; status?: number }) => e)
    expect(failure?.output?.statusCode).toBe(410)
    expect(failure?.status).toBeUndefined()
    expect(reuploadAsked).toBe(0)

    // our own call of the media-retry request: the phone re-uploads and answers with a new direct path
    const updated = await alice.sock.updateMediaMessage(m!)
    const newPath = updated.message!.imageMessage!.directPath!
    expect(newPath).not.toBe(directPath)
    expect(await download(sim, updated)).toEqual(photo)
    expect(sim.stats()).toMatchObject({ mediaRetriesAsked: 1, mediaReuploads: 1 })

    // a phone that no longer has the file answers NOT_FOUND (Baileys: 404)
    const second = await bob.sendMedia('+15550003021', { kind: 'document', data: mediaFixtures.pdf(), fileName: 'x.pdf' })
    const [, m2] = await alice.waitForInbox(2)
    sim.dropMedia(second.directPath)
    sim.phone('+15550003021').forgetMedia(second.id)
    const notFound = await alice.sock.updateMediaMessage(m2!).then(() => null, (e: { output?: { statusCode?: number } }) => e)
    expect(notFound?.output?.statusCode).toBe(404)
    alice.end()
  })

  it('refuses an upload with a bad auth token or a body that does not match its token', async () => {
    const sim = await start()
    const url = (token: string, auth: string) => `https://${sim.mediaHost}/mms/image/${token}?auth=${encodeURIComponent(auth)}&token=${token}`
    const dispatcher = simMediaDispatcher(sim)
    const post = (u: string, body: Buffer) => fetch(u, { method: 'POST', body, dispatcher } as never).then(r => r.status)
    expect(await post(url('abc', 'not-issued'), Buffer.from('x'))).toBe(401)
    // without the simulator's CA the TLS handshake fails: nothing trusts it by default
    await expect(fetch(`https://${sim.mediaHost}/v/t62.7118-24/x.enc`)).rejects.toThrow()
  })
})
