// What the simulator reports about one linked device (Simulator.devices(), GET /devices).
export interface DeviceInfo {
  phone: string
  jid: string
  lid: string
  deviceId: number
  pushName: string
  connected: boolean
  loggedOut: boolean
  preKeysOnServer: number
  pendingOffline: number
  /** messages and receipts sent to the device that it has not acknowledged yet */
  unacked: number
  /** logins parked by hold_connections (sockets that may have closed since) */
  heldLogins: number
  /** login payloads the device sent (accepted, refused or held): a client that reconnects shows up here */
  logins: number
}
