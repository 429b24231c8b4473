import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { BufferJSON, type AuthenticationCreds } from '@whiskeysockets/baileys'
import { generateRootKey, simulatorRootKeyToBase64 } from './index.ts'
import { connectClient } from './testing/baileys-client.ts'
import { memoryAuthState } from './testing/memory-auth-state.ts'

const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGTERM')
})

async function spawnSimulator(env: Record<string, string>): Promise<{ url: string; rootPublicKeyBase64: string; controlUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./cli.ts', import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', line => resolve(JSON.parse(line)))
    child.once('exit', code => reject(new Error(`simulator exited with ${code}`)))
  })
}

describe('simulator in its own process', () => {
  it('keeps the root key it is given, and Baileys in this process links, receives and sends through it', async () => {
    const root = generateRootKey()
    const info = await spawnSimulator({ WA_SIM_ROOT_KEY: simulatorRootKeyToBase64(root) })
    expect(info.rootPublicKeyBase64).toBe(root.public.toString('base64'))
    const call = async <T>(path: string, body?: unknown): Promise<T> => {
      const res = await fetch(info.controlUrl + path, { method: body ? 'POST' : 'GET', body: body ? JSON.stringify(body) : undefined })
      return JSON.parse(await res.text(), BufferJSON.reviver) as T
    }
    const prov = await call<{ creds: AuthenticationCreds; preKeys: Record<string, unknown> }>('/provision', {
      phone: '+15550004001',
      pushName: 'Remote',
    })
    const client = connectClient(info, memoryAuthState(prov.creds, prov.preKeys))
    const got = new Promise<string>(resolve =>
      client.sock.ev.on('messages.upsert', ({ messages }) => {
        const text = messages[0]?.message?.conversation
        if (text) resolve(text)
      }),
    )
    await client.opened()
    await call('/send', { from: '+15550004002', to: '+15550004001', text: 'across processes' })
    expect(await got).toBe('across processes')
    await client.sock.sendMessage('15550004002@s.whatsapp.net', { text: 'back' })
    await expect.poll(async () => (await call<{ text: string }[]>('/received?phone=%2B15550004002')).map(m => m.text)).toEqual(['back'])
    client.end()
  })
})
