import { afterEach, describe, expect, it } from 'vitest'
import type { WAMessageUpdate } from '@whiskeysockets/baileys'
import { startSimulator, type Simulator } from './index.ts'
import { connectLinked } from './testing/linked-client.ts'

const sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map(s => s.stop()))
})

// Baileys 7 addresses a contact by its LID when the phone number is hidden (Baileys#1950; rc14 Signal/lid-mapping.js):
// the server routes an @lid message to that account's devices, and the receipts come back from the jid it was sent to.
describe('simulator: a send addressed to a LID', () => {
  it('reaches the contact and its receipts come back keyed by the LID', async () => {
    const sim = await startSimulator()
    sims.push(sim)
    const alice = await connectLinked(sim, '+15550002301')
    const bob = sim.contact('+15550002302').setSharesPhone(false)
    await bob.sendText('+15550002301', 'hi, number hidden')
    const [got] = await alice.waitForInbox(1)
    expect(got!.key.remoteJid).toBe(bob.lid)
    expect(got!.key.remoteJidAlt).toBeUndefined()
    const updates: WAMessageUpdate[] = []
    alice.sock.ev.on('messages.update', u => updates.push(...u))
    const sent = await alice.sock.sendMessage(bob.lid, { text: 'answer to the LID' })
    expect(sent!.key.remoteJid).toBe(bob.lid)
    const [received] = await bob.waitForCount(1)
    expect(received!.text).toBe('answer to the LID')
    await expect.poll(() => updates.filter(u => u.key.id === sent!.key.id).map(u => [u.key.remoteJid, u.update.status]))
      .toContainEqual([bob.lid, 4])
    expect(sim.stats().decryptErrors).toBe(0)
    alice.end()
  })
})
