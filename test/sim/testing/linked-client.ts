import type { UserFacingSocketConfig, WAMessage } from '@whiskeysockets/baileys'
import type { Simulator } from '../server.ts'
import { connectClient, type TestClient } from './baileys-client.ts'
import { memoryAuthState, type MemoryAuthState } from './memory-auth-state.ts'

export interface LinkedClient extends TestClient {
  auth: MemoryAuthState
  /** incoming (not fromMe) messages seen via messages.upsert, in arrival order */
  inbox: WAMessage[]
  waitForInbox(count: number, timeoutMs?: number): Promise<WAMessage[]>
}

/** Provisions a linked device in the simulator and connects bare Baileys with its creds until `open`. */
export async function connectLinked(
  sim: Simulator,
  phone: string,
  pushName = 'Tester',
  config: Partial<UserFacingSocketConfig> = {},
  auth?: MemoryAuthState,
): Promise<LinkedClient> {
  if (!auth) {
    const p = sim.provisionLinkedDevice({ phone, pushName })
    auth = memoryAuthState(p.creds, p.preKeys)
  }
  const client = connectClient(sim, auth, config)
  const inbox: WAMessage[] = []
  const waiters = new Set<() => void>()
  client.sock.ev.on('messages.upsert', ({ messages }) => {
    for (const m of messages) if (!m.key.fromMe) inbox.push(m)
    for (const w of waiters) w()
  })
  await client.opened()
  return {
    ...client,
    auth,
    inbox,
    waitForInbox: (count, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (inbox.length < count) return
          waiters.delete(check)
          clearTimeout(t)
          resolve(inbox.slice())
        }
        const t = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`only ${inbox.length}/${count} messages arrived`))
        }, timeoutMs)
        waiters.add(check)
        check()
      }),
  }
}
