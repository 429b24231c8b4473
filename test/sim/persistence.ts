/**
 * The simulator's accounts kept on disk (issue 16 item 4: `npm run demo` forgot the linked phone on every restart,
 * because the simulator kept its devices in memory, so the demo session ended logged_out (401) instead of
 * reconnecting without a QR, the product's headline behaviour). WhatsApp's servers keep a linked device until it is
 * logged out; a simulator started with a state file does too: every account (phone's Signal identity, pre-keys and
 * sessions), every linked device (noise key, identity, pre-keys on the server, what waits for its next login) and
 * the root key. Saved atomically (temporary file + rename) on every change window and at stop.
 * Not kept: pairing attempts in flight, media blobs, retry caches, receipts bookkeeping: a restart forgets them, as
 * a phone switched off and on would.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { BufferJSON } from '@whiskeysockets/baileys'
import type { DeviceRegistry, LinkedDevice, SimUser } from './device-registry.ts'
import { SignalPeer, type PeerState } from './peer.ts'

const VERSION = 1

type SavedDevice = Omit<LinkedDevice, 'user' | 'connection' | 'preKeys' | 'unacked'> & {
  preKeys: [number, Buffer][]
  unacked: [string, LinkedDevice['pending'][number]][]
}

interface SavedUser {
  phone: string
  lidUser: string
  name: string
  onWhatsApp: boolean
  sharesPhone: boolean
  receipts: SimUser['receipts']
  peer: PeerState
  devices: SavedDevice[]
  nextDeviceId: number
  nextKeyIndex: number
  inbox: SimUser['inbox']
  sentCopies: SimUser['sentCopies']
  chats: string[]
  newChatsStarted: number
}

export interface SimulatorState {
  version: number
  rootKeyBase64: string
  users: SavedUser[]
}

export function snapshot(registry: DeviceRegistry, rootKeyBase64: string): SimulatorState {
  return {
    version: VERSION,
    rootKeyBase64,
    users: registry.allUsers().map(u => ({
      phone: u.phone,
      lidUser: u.lidUser,
      name: u.name,
      onWhatsApp: u.onWhatsApp,
      sharesPhone: u.sharesPhone,
      receipts: u.receipts,
      peer: u.peer.exportState(),
      devices: [...u.companions.values()].map(({ user: _user, connection: _connection, preKeys, unacked, ...rest }) => ({
        ...rest,
        preKeys: [...preKeys],
        unacked: [...unacked],
      })),
      nextDeviceId: u.nextDeviceId,
      nextKeyIndex: u.nextKeyIndex,
      inbox: u.inbox,
      sentCopies: u.sentCopies,
      chats: [...u.chats],
      newChatsStarted: u.newChatsStarted,
    })),
  }
}

export function restore(registry: DeviceRegistry, state: SimulatorState): void {
  for (const saved of state.users) {
    const user: SimUser = {
      phone: saved.phone,
      pn: `${saved.phone}@s.whatsapp.net`,
      lidUser: saved.lidUser,
      lid: `${saved.lidUser}@lid`,
      name: saved.name,
      onWhatsApp: saved.onWhatsApp,
      sharesPhone: saved.sharesPhone,
      receipts: saved.receipts,
      peer: SignalPeer.fromState(saved.peer),
      companions: new Map(),
      nextDeviceId: saved.nextDeviceId,
      nextKeyIndex: saved.nextKeyIndex,
      inbox: saved.inbox,
      sentCopies: saved.sentCopies,
      inboxCount: new Map(),
      outbox: new Map(),
      receiptsReceived: new Map(),
      waiters: new Set(),
      media: new Map(),
      heldRetries: null,
      mediaRetryRefused: new Set(),
      chats: new Set(saved.chats),
      history: [],
      newChatsStarted: saved.newChatsStarted,
    }
    for (const m of user.inbox) user.inboxCount.set(m.id, (user.inboxCount.get(m.id) ?? 0) + 1)
    registry.restoreUser(user)
    for (const d of saved.devices) {
      registry.addDevice({ ...d, user, connection: undefined, preKeys: new Map(d.preKeys), unacked: new Map(d.unacked) })
    }
  }
}

export async function readState(path: string): Promise<SimulatorState | undefined> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (text === undefined) return undefined
  const state = JSON.parse(text, BufferJSON.reviver) as SimulatorState
  if (state.version !== VERSION) throw new Error(`${path}: simulator state version ${state.version}, expected ${VERSION} (start with --fresh)`)
  return state
}

export async function writeState(path: string, state: SimulatorState): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(state, BufferJSON.replacer), { mode: 0o600 })
  await rename(tmp, path)
}

/** Saves the registry to `path` now, every second while running, and once more at stop(). */
export async function keepState(registry: DeviceRegistry, rootKeyBase64: string, path: string): Promise<{ stop(): Promise<void> }> {
  let saving: Promise<void> = Promise.resolve()
  const save = () => (saving = saving.catch(() => {}).then(() => writeState(path, snapshot(registry, rootKeyBase64))))
  await save()
  const timer = setInterval(() => void save().catch(() => {}), 1000)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await save()
    },
  }
}
