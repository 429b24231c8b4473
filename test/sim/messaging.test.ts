import { afterEach, describe, expect, it } from 'vitest'
import { proto, type BinaryNode, type WAMessageUpdate } from '@whiskeysockets/baileys'
import { startSimulator, type Simulator } from './index.ts'
import { connectLinked } from './testing/linked-client.ts'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map(s => s.stop()))
})
const start = async () => {
  const sim = await startSimulator()
  sims.push(sim)
  return sim
}
const textOf = (m: { message?: proto.IMessage | null }) => m.message?.conversation ?? m.message?.extendedTextMessage?.text

describe('simulator messaging', () => {
  it('50 messages each way are Signal-decrypted and arrive in order (pkmsg then msg)', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550002001', 'Alice')
    const bob = sim.contact('+15550002002', { name: 'Bob', receipts: 'none' })
    const encTypes: string[] = []
    alice.sock.ws.on('CB:message', (node: BinaryNode) => {
      const enc = Array.isArray(node.content) ? node.content.find(c => c.tag === 'enc') : undefined
      if (enc) encTypes.push(enc.attrs.type!)
    })

    for (let i = 0; i < 50; i++) await bob.sendText('+15550002001', `in ${i}`)
    const got = await alice.waitForInbox(50)
    expect(got.map(textOf)).toEqual(Array.from({ length: 50 }, (_, i) => `in ${i}`))
    expect(got[0]!.key.remoteJidAlt).toBe('15550002002@s.whatsapp.net')
    expect(got[0]!.pushName).toBe('Bob')

    const ids: string[] = []
    for (let i = 0; i < 50; i++) {
      const sent = await alice.sock.sendMessage('15550002002@s.whatsapp.net', { text: `out ${i}` })
      ids.push(sent!.key.id!)
    }
    const received = await bob.waitForCount(50)
    expect(received.map(m => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `out ${i}`))
    expect(received.map(m => m.id)).toEqual(ids)
    expect(received[0]).toMatchObject({ from: '+15550002001', to: '+15550002002' })
    expect(ids.every(id => bob.receivedCount(id) === 1)).toBe(true)
    // the account's phone got a DeviceSentMessage copy of each
    expect(sim.phone('+15550002001').sentFromLinkedDevices().map(m => m.text)).toEqual(received.map(m => m.text))
    expect(sim.stats()).toMatchObject({ decryptErrors: 0, handlerErrors: 0 })
    // until Alice answered, Bob could only send pkmsg; after decrypting her messages his ratchet moves to msg
    expect(new Set(encTypes.slice(0, 50))).toEqual(new Set(['pkmsg']))
    await bob.sendText('+15550002001', 'after the replies')
    await alice.waitForInbox(51)
    expect(encTypes.at(-1)).toBe('msg')
    expect(textOf(alice.inbox[50]!)).toBe('after the replies')
    alice.end()
  })

  it('delivery and read receipts become messages.update statuses 3 and 4; the contact sees our receipts too', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550002011', 'Alice')
    const bob = sim.contact('+15550002012', { receipts: 'read' })
    const carol = sim.contact('+15550002013', { receipts: 'none' })
    const statuses = new Map<string, number[]>()
    alice.sock.ev.on('messages.update', (ups: WAMessageUpdate[]) => {
      for (const u of ups) if (u.update.status) statuses.set(u.key.id!, [...(statuses.get(u.key.id!) ?? []), u.update.status])
    })
    const toBob = await alice.sock.sendMessage(bob.jid, { text: 'read me' })
    const toCarol = await alice.sock.sendMessage(carol.jid, { text: 'on demand' })
    await carol.waitForMessage({ text: 'on demand' })
    await bob.waitForMessage({ text: 'read me' })
    await expect.poll(() => statuses.get(toBob!.key.id!)).toEqual([3, 4])
    expect(statuses.get(toCarol!.key.id!)).toBeUndefined()
    carol.sendReceipt(toCarol!.key.id!, 'delivered')
    await expect.poll(() => statuses.get(toCarol!.key.id!)).toEqual([3])

    const id = await bob.sendText('+15550002011', 'did you get it?')
    await alice.waitForInbox(1)
    expect(await bob.waitForReceipt(id, 'delivered')).toBeDefined()
    await alice.sock.readMessages([alice.inbox[0]!.key])
    expect(await bob.waitForReceipt(id, 'read')).toBe('read')
    alice.end()
  })

  it('a number that is not on WhatsApp: onWhatsApp says so and a send fails with an error ack', async () => {
    const sim = await start()
    sim.markNotOnWhatsApp('+15550002099')
    const alice = await connectLinked(sim, '+15550002021')
    const check = await alice.sock.onWhatsApp('+15550002099', '+15550002022')
    expect(check).toEqual([{ jid: '15550002022@s.whatsapp.net', exists: true }])
    // the server's error ack comes at once, so Baileys usually folds ERROR into the buffered upsert; accept either
    const errors: string[] = []
    const ERROR = proto.WebMessageInfo.Status.ERROR
    alice.sock.ev.on('messages.update', ups => errors.push(...ups.filter(u => u.update.status === ERROR).map(u => u.key.id!)))
    alice.sock.ev.on('messages.upsert', ({ messages }) => errors.push(...messages.filter(m => m.status === ERROR).map(m => m.key.id!)))
    const sent = await alice.sock.sendMessage('15550002099@s.whatsapp.net', { text: 'anyone?' })
    await expect.poll(() => errors).toEqual([sent!.key.id])
    expect(() => sim.contact('+15550002099')).toThrow(/not on WhatsApp/)
    alice.end()
  })

  it('two accounts linked at once stay separate, and can write to each other', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550002031', 'Alice')
    const dave = await connectLinked(sim, '+15550002032', 'Dave')
    const bob = sim.contact('+15550002033')
    await bob.sendText('+15550002031', 'for alice')
    await bob.sendText('+15550002032', 'for dave')
    await alice.waitForInbox(1)
    await dave.waitForInbox(1)
    await new Promise(r => setTimeout(r, 100))
    expect(alice.inbox.map(textOf)).toEqual(['for alice'])
    expect(dave.inbox.map(textOf)).toEqual(['for dave'])

    await alice.sock.sendMessage('15550002032@s.whatsapp.net', { text: 'hi dave' })
    const [fromAlice] = await dave.waitForInbox(2).then(m => m.slice(1))
    expect(textOf(fromAlice!)).toBe('hi dave')
    expect(sim.contact('+15550002032').received().map(m => m.text)).toEqual(['for dave', 'hi dave'])
    alice.end()
    dave.end()
  })

  it("the account's phone writing to a contact shows up on the linked device as fromMe", async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550002041')
    const fromMe: string[] = []
    alice.sock.ev.on('messages.upsert', ({ messages }) => {
      for (const m of messages) if (m.key.fromMe) fromMe.push(`${m.key.remoteJid}|${textOf(m)}`)
    })
    await sim.phone('+15550002041').sendText('+15550002042', 'sent from the phone')
    await expect.poll(() => fromMe).toEqual(['15550002042@s.whatsapp.net|sent from the phone'])
    expect(sim.contact('+15550002042').received().map(m => m.text)).toEqual(['sent from the phone'])
    alice.end()
  })

  it('a linked device that lost its session asks for a retry; the phone re-encrypts and the message arrives', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550002061')
    const bob = sim.contact('+15550002062')
    await bob.sendText('+15550002061', 'first')
    await alice.waitForInbox(1)
    const lidUser = bob.lid.split('@')[0]!
    const lost = [...alice.auth.keys.keys()].filter(k => k.startsWith('session:') && k.includes(lidUser))
    expect(lost.length).toBeGreaterThan(0)
    for (const k of lost) alice.auth.keys.delete(k)
    await bob.sendText('+15550002061', 'second')
    await expect.poll(() => alice.inbox.map(textOf).filter(Boolean), { timeout: 10_000 }).toEqual(['first', 'second'])
    expect(sim.stats().retriesAnswered).toBe(1)
    alice.end()
  })

  it('one-time pre-keys are handed out once; when they run low the device is told and uploads more', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550002071')
    expect(sim.devices()[0]!.preKeysOnServer).toBe(30)
    for (let i = 0; i < 27; i++) await sim.contact(`+1555000272${String(i).padStart(2, '0')}`).sendText('+15550002071', `from ${i}`)
    await alice.waitForInbox(27)
    // 30 - 27 = 3 < 5: PreKeyLow → Baileys uploads 5 more
    await expect.poll(() => sim.devices()[0]!.preKeysOnServer, { timeout: 10_000 }).toBe(8)
    alice.end()
  })

  it('messages sent while the device is offline arrive at its next login', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550002051')
    alice.end()
    await alice.closed()
    const bob = sim.contact('+15550002052')
    await bob.sendText('+15550002051', 'while you were away')
    expect(sim.devices()[0]!.pendingOffline).toBe(1)
    const again = await connectLinked(sim, '+15550002051', 'x', {}, alice.auth)
    const [m] = await again.waitForInbox(1)
    expect(textOf(m!)).toBe('while you were away')
    again.end()
  })

  it('a message the device never read (its socket died first) is delivered again at its next login, once', async () => {
    const sim = await start()
    const alice = await connectLinked(sim, '+15550002081')
    const bob = sim.contact('+15550002082')
    await bob.sendText('+15550002081', 'before')
    await alice.waitForInbox(1)
    await expect.poll(() => sim.devices()[0]!.unacked).toBe(0) // Baileys' receipt acknowledged it
    // stop reading the socket, let the server write a message into it, then kill the socket: Baileys never sees it
    const raw = (alice.sock.ws as unknown as { socket: { _socket: { pause(): void }; terminate(): void } }).socket
    raw._socket.pause()
    await bob.sendText('+15550002081', 'in flight when the socket died')
    expect(sim.devices()[0]!.unacked).toBe(1)
    raw.terminate()
    await alice.closed()
    await sim.waitForDevice('+15550002081', d => !d.connected)
    expect(sim.devices()[0]).toMatchObject({ pendingOffline: 1, unacked: 0 })
    const again = await connectLinked(sim, '+15550002081', 'x', {}, alice.auth)
    const [m] = await again.waitForInbox(1)
    expect(textOf(m!)).toBe('in flight when the socket died')
    await expect.poll(() => sim.devices()[0]!.unacked).toBe(0)
    expect(sim.devices()[0]!.pendingOffline).toBe(0)
    expect(alice.inbox.map(textOf)).toEqual(['before'])
    again.end()
  })
})
