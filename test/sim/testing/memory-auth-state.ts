import { initAuthCreds, type AuthenticationCreds, type AuthenticationState, type SignalDataTypeMap, type SignalKeyStore } from '@whiskeysockets/baileys'

/** Baileys auth state held in memory (creds object + Map-backed key store). Survives reconnects in one process. */
export interface MemoryAuthState {
  state: AuthenticationState
  /** the raw key store, by "type:id" */
  keys: Map<string, unknown>
}

export function memoryAuthState(creds: AuthenticationCreds = initAuthCreds(), preKeys?: Record<string, unknown>): MemoryAuthState {
  const store = new Map<string, unknown>()
  if (preKeys) for (const [id, kp] of Object.entries(preKeys)) store.set(`pre-key:${id}`, kp)
  const keys: SignalKeyStore = {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const out: { [id: string]: SignalDataTypeMap[T] } = {}
      for (const id of ids) {
        const v = store.get(`${type}:${id}`)
        if (v !== undefined) out[id] = v as SignalDataTypeMap[T]
      }
      return out
    },
    set: async data => {
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) store.delete(`${type}:${id}`)
          else store.set(`${type}:${id}`, value)
        }
      }
    },
  }
  return { state: { creds, keys }, keys: store }
}
