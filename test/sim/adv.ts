import { createHmac, randomInt } from 'node:crypto'
import { proto } from '@whiskeysockets/baileys'
import { newKeyPair, type KeyPair } from './certificate.ts'
import { xeddsaSign, xeddsaVerify } from './xeddsa.ts'

const ACCOUNT_SIG_PREFIX = Buffer.from([6, 0])
const DEVICE_SIG_PREFIX = Buffer.from([6, 1])

/** What the phone signs when it links a companion (ADVSignedDeviceIdentity without the device signature). */
export interface AdvIdentity {
  deviceDetails: Buffer
  accountSignatureKey: Buffer
  accountSignature: Buffer
}

export function signCompanion(account: KeyPair, companionIdentityPublic: Buffer, keyIndex: number): AdvIdentity {
  const deviceDetails = Buffer.from(
    proto.ADVDeviceIdentity.encode({
      rawId: randomInt(1, 2 ** 31),
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex,
      accountType: proto.ADVEncryptionType.E2EE,
      deviceType: proto.ADVEncryptionType.E2EE,
    }).finish(),
  )
  const accountSignature = xeddsaSign(account.private, Buffer.concat([ACCOUNT_SIG_PREFIX, deviceDetails, companionIdentityPublic]))
  return { deviceDetails, accountSignatureKey: account.public, accountSignature }
}

/** The pair-success `<device-identity>` payload: ADVSignedDeviceIdentityHMAC keyed with the QR's adv secret. */
export function encodeHmacIdentity(adv: AdvIdentity, advSecret: Buffer): Buffer {
  const details = proto.ADVSignedDeviceIdentity.encode({
    details: adv.deviceDetails,
    accountSignatureKey: adv.accountSignatureKey,
    accountSignature: adv.accountSignature,
  }).finish()
  const hmac = createHmac('sha256', advSecret).update(details).digest()
  return Buffer.from(proto.ADVSignedDeviceIdentityHMAC.encode({ details, hmac }).finish())
}

export function deviceSignatureMessage(adv: AdvIdentity, companionIdentityPublic: Buffer): Buffer {
  return Buffer.concat([DEVICE_SIG_PREFIX, adv.deviceDetails, companionIdentityPublic, adv.accountSignatureKey])
}

/** The companion signs the same details with its identity key; a real phone checks this in pair-device-sign. */
/** A signed pre-key like Baileys' signedKeyPair(), signed with the fast XEdDSA signer. */
export function signedPreKey(identity: KeyPair, keyId: number): { keyId: number; keyPair: KeyPair; signature: Buffer } {
  const keyPair = newKeyPair()
  return { keyId, keyPair, signature: xeddsaSign(identity.private, Buffer.concat([Buffer.from([5]), keyPair.public])) }
}

export function verifyDeviceSignature(adv: AdvIdentity, companionIdentityPublic: Buffer, signed: Uint8Array): boolean {
  const account = proto.ADVSignedDeviceIdentity.decode(signed)
  if (!account.deviceSignature || !account.details) return false
  if (!Buffer.from(account.details).equals(adv.deviceDetails)) return false
  return xeddsaVerify(companionIdentityPublic, deviceSignatureMessage(adv, companionIdentityPublic), account.deviceSignature)
}

export function keyIndexOf(deviceDetails: Uint8Array): number {
  return proto.ADVDeviceIdentity.decode(deviceDetails).keyIndex ?? 0
}
