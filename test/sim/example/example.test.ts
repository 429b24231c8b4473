// Runs the README's complete example (complete-example.ts) against the default simulator, so the example cannot rot,
// and checks that the README's "Complete example" block is this file verbatim, so what a user copies is what ran.
import { readFile } from 'node:fs/promises'
import { DisconnectReason } from '@whiskeysockets/baileys'
import { expect, it } from 'vitest'
import { runCompleteExample } from './complete-example.ts'

it('the README shows complete-example.ts verbatim as its complete example', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const file = await readFile(new URL('./complete-example.ts', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Complete example'))
  const block = /```ts\n([\s\S]*?)```\n/.exec(section)?.[1]
  expect(block).toBe(file)
})

it('the complete example links against the default simulator (registration refresh on), messages both ways, 440', async () => {
  const r = await runCompleteExample()
  expect(r.firstScan).toBe('registration_refresh')
  expect(r.linked).toMatchObject({ phone: '+15550001111' })
  expect(r.aliceGot).toMatchObject({ text: 'hi Alice', remoteJidAlt: '15550002222@s.whatsapp.net' })
  expect(r.aliceGot.remoteJid).toMatch(/@lid$/)
  expect(r.bobGot).toMatchObject({ id: r.sentId, text: 'hi Bob', from: '+15550001111', to: '+15550002222' })
  expect(r.replacedCode).toBe(DisconnectReason.connectionReplaced)
})
