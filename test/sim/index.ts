export { startSimulator, Simulator, type StartSimulatorOptions } from './server.ts'
export type { DeviceInfo } from './device-info.ts'
export type { RestrictOptions } from './handlers/restrictions.ts'
export {
  DEFAULT_BEHAVIOURS,
  DEFAULT_VERSIONS,
  RC14_WA_VERSION,
  compareVersions,
  formatVersion,
  type Behaviours,
  type WaVersion,
  type WaVersions,
} from './behaviours.ts'
export { SimScanError, type ScanRefusal } from './scan-error.ts'
export type { LinkEvent } from './context.ts'
export type { SeedConversation } from './history.ts'
export { isStandardPlatformDisplay } from './handlers/pairing-code.ts'
export {
  useSimulatorCertificate,
  simulatorRootKeyFromBase64,
  simulatorRootKeyToBase64,
  generateRootKey,
  type SimulatorRootKey,
  type KeyPair,
} from './certificate.ts'
export { SimContact, type ContactOptions, type MessageMatcher } from './contact.ts'
export { FAULT_STATUS, type FaultKind, type FaultOptions } from './faults.ts'
export type { ReceiptMode, RecordedMessage } from './device-registry.ts'
export type { ProvisionedDevice, ProvisionOptions } from './provision.ts'
export type { QrTimeouts } from './context.ts'
export { parseQr, type ScanOptions } from './handlers/pairing.ts'
export type { ContactView } from './handlers/rep-actions.ts'
export { startControlServer } from './control.ts'
export type { MediaInput, MediaKind, RecordedMedia } from './media/phone-media.ts'
export { encryptMedia, decryptMedia, mediaKeys, type MediaKeyType } from './media/crypto.ts'
