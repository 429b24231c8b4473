import type { BinaryNode } from '@whiskeysockets/baileys'
import type { DeviceRegistry, LinkedDevice } from './device-registry.ts'
import type { LinkFaults, SimConnection } from './transport/connection.ts'

/**
 * Faults a test can inject per linked device, and the DisconnectReason (lastDisconnect.error.output.statusCode)
 * unmodified Baileys 7.0.0-rc14 reports for each.
 */
export const FAULT_STATUS = {
  close: 428, // TCP drop without a stanza: "Connection Terminated"
  logged_out: 401, // <stream:error code="401"><conflict type="device_removed"/>; later logins get <failure reason="401"/>
  replaced: 440, // <stream:error><conflict type="replaced"/>
  unavailable: 503, // <stream:error code="503"/>
  restart_required: 515, // <stream:error code="515"/>
  refuse_connections: 428, // each new socket is dropped right after the Noise handshake
  hold_connections: undefined, // each new login waits unanswered until clearFaults (Baileys: its connect timeout)
  silence: 408, // nothing answered any more: Baileys' keep-alive gives up after keepAliveIntervalMs + 5 s
  drop: 408, // stanzas lost (both ways by default); with every stanza lost, same as silence
  delay: undefined, // stanzas arrive late, the connection stays up
} as const

export type FaultKind = keyof typeof FAULT_STATUS

export interface FaultOptions {
  /** delay: milliseconds per outgoing stanza (default 2000) */
  ms?: number
  /** drop: how many stanzas to lose (default: all until clearFaults) */
  count?: number
  /** drop: which way (default 'both'): 'in' = what the client sends, 'out' = what the server sends */
  direction?: 'in' | 'out' | 'both'
  /** drop: only stanzas with this tag ('message', 'receipt', 'iq', …); default: any */
  tag?: string
}

const streamError = (code: string | undefined, conflict?: string): BinaryNode => ({
  tag: 'stream:error',
  attrs: code ? { code } : {},
  content: conflict ? [{ tag: 'conflict', attrs: { type: conflict } }] : undefined,
})

export class FaultBook {
  private readonly persistent = new Map<LinkedDevice, LinkFaults>()

  /** Copies the device's standing faults (delay, drop, silence) onto a new socket. */
  applyTo(device: LinkedDevice, conn: SimConnection): void {
    const f = this.persistent.get(device)
    if (f) Object.assign(conn.faults, f)
  }

  inject(registry: DeviceRegistry, device: LinkedDevice, kind: FaultKind, opts: FaultOptions = {}): void {
    const conn = device.connection?.isOpen ? device.connection : undefined
    switch (kind) {
      case 'close':
        conn?.terminate()
        return
      case 'logged_out':
        registry.removeDevice(device)
        conn?.endWith(streamError('401', 'device_removed'))
        return
      case 'replaced':
        conn?.endWith(streamError(undefined, 'replaced'))
        return
      case 'unavailable':
        conn?.endWith(streamError('503'))
        return
      case 'restart_required':
        conn?.endWith(streamError('515'))
        return
      case 'refuse_connections':
        device.refuseConnections = true
        return
      case 'hold_connections':
        device.heldLogins ??= []
        return
      case 'delay':
        this.set(device, { delayMs: opts.ms ?? 2000 })
        return
      case 'drop': {
        const n = opts.count ?? Infinity
        const dir = opts.direction ?? 'both'
        const patch = { dropIn: dir !== 'out' ? n : 0, dropOut: dir !== 'in' ? n : 0, dropTag: opts.tag }
        // a counted drop applies to the live socket only; an unlimited one also to later sockets
        if (Number.isFinite(n)) {
          if (conn) Object.assign(conn.faults, patch)
        } else this.set(device, patch)
        return
      }
      case 'silence':
        this.set(device, { dropIn: Infinity, dropOut: Infinity })
        return
    }
  }

  clear(device: LinkedDevice): void {
    device.refuseConnections = false
    const held = device.heldLogins ?? []
    device.heldLogins = undefined
    for (const resume of held) resume()
    this.persistent.delete(device)
    const conn = device.connection
    if (conn) Object.assign(conn.faults, { delayMs: 0, dropIn: 0, dropOut: 0, dropTag: undefined })
  }

  private set(device: LinkedDevice, patch: Partial<LinkFaults>): void {
    const f = this.persistent.get(device) ?? { delayMs: 0, dropIn: 0, dropOut: 0 }
    Object.assign(f, patch)
    this.persistent.set(device, f)
    if (device.connection) Object.assign(device.connection.faults, patch)
  }
}
