import { createHmac, randomInt } from 'node:crypto'
import { proto } from '@whiskeysockets/baileys'
import { newKeyPair, type KeyPair } from './certificate.ts'
import { xeddsaSign, xeddsaVerify } from './xeddsa.ts'

// The phone's half of the ADV (account/device) identity a companion checks at pair-success. Primary sources:
// whatsmeow (tulir/whatsmeow) pair.go at 33cfac51 (2026-08-21):
//   L31-35 the prefixes: AdvAccountSignaturePrefix [6,0], AdvDeviceSignaturePrefix [6,1], and for HOSTED accounts
//          AdvHostedAccountSignaturePrefix [6,5] / AdvHostedDeviceSignaturePrefix [6,6];
//   L115-120 makeQRData: the QR is `ref,noisePub,identityPub,AdvSecretKey,platform`, so the ADV secret is the 4th
//          field, the only secret the phone learns from a scan (parseQr in handlers/pairing.ts);
//   L152-190 handlePair: HMAC-SHA256 keyed with the companion's *current* AdvSecretKey over ([6,5] if accountType is
//          HOSTED) ‖ Details; a mismatch is answered with `<iq type="error"><error code="401" text="hmac-mismatch"/>`
//          (L169), a bad account signature with 401 "signature-mismatch" (L188);
//   L271-293 verifyAccountSignature ([6,0] ‖ details ‖ companion identity) and generateDeviceSignature ([6,1] ‖
//          details ‖ companion identity ‖ account signature key).
// rc14 checks the same HMAC (lib/Utils/validate-connection.js L141-148, "Invalid account signature"). The simulator
// only models E2EE accounts, so no HOSTED prefix is ever written.
const ACCOUNT_SIG_PREFIX = Buffer.from([6, 0]) // whatsmeow pair.go L31
const DEVICE_SIG_PREFIX = Buffer.from([6, 1]) // whatsmeow pair.go L32

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

/**
 * The pair-success `<device-identity>` payload: ADVSignedDeviceIdentityHMAC keyed with the QR's adv secret (the
 * secret of the QR the phone scanned: whatsmeow pair.go L115-120 makeQRData, 4th field). The companion recomputes
 * HMAC-SHA256(AdvSecretKey, Details) with the secret it holds *now* (whatsmeow pair.go L160-170 handlePair, 401
 * "hmac-mismatch" on a difference), which is why a companion_reg_refresh that rotates the secret must re-render the QR.
 */
export function encodeHmacIdentity(adv: AdvIdentity, advSecret: Buffer): Buffer {
  const details = proto.ADVSignedDeviceIdentity.encode({
    details: adv.deviceDetails,
    accountSignatureKey: adv.accountSignatureKey,
    accountSignature: adv.accountSignature,
  }).finish()
  const hmac = createHmac('sha256', advSecret).update(details).digest()
  return Buffer.from(proto.ADVSignedDeviceIdentityHMAC.encode({ details, hmac }).finish())
}

/** What the companion signs in pair-device-sign: the same details with its identity key (whatsmeow pair.go L288-293 generateDeviceSignature). */
export function deviceSignatureMessage(adv: AdvIdentity, companionIdentityPublic: Buffer): Buffer {
  return Buffer.concat([DEVICE_SIG_PREFIX, adv.deviceDetails, companionIdentityPublic, adv.accountSignatureKey])
}

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
