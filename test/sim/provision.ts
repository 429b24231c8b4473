import { randomBytes } from 'node:crypto'
import { generateRegistrationId, type AuthenticationCreds } from '@whiskeysockets/baileys'
import { deviceSignatureMessage, signCompanion, signedPreKey } from './adv.ts'
import { newKeyPair, type KeyPair } from './certificate.ts'
import type { SimContext } from './context.ts'
import { normalizePhone, type LinkedDevice } from './device-registry.ts'
import { xeddsaSign } from './xeddsa.ts'

export interface ProvisionOptions {
  phone: string
  pushName?: string
  /** pre-keys generated, registered on the server and returned (so the first login uploads nothing); default 30 */
  preKeyCount?: number
}

export interface ProvisionedDevice {
  phone: string
  jid: string
  lid: string
  /** Baileys creds, already paired (me, account, signalIdentities, platform) */
  creds: AuthenticationCreds
  /** the pre-keys the server holds for this device: put them in the key store under 'pre-key' */
  preKeys: Record<string, KeyPair>
}

/** Links a device without a QR round-trip, with the same real signatures a scan produces. */
export function provisionLinkedDevice(ctx: SimContext, opts: ProvisionOptions): ProvisionedDevice {
  const phone = normalizePhone(opts.phone)
  const user = ctx.registry.user(phone)
  if (!user) throw new Error(`+${phone} is marked not on WhatsApp`)
  const creds = newAuthCreds()
  const deviceId = user.nextDeviceId++
  const keyIndex = user.nextKeyIndex++
  const identity = creds.signedIdentityKey as KeyPair
  const adv = signCompanion(user.peer.identity, identity.public, keyIndex)
  const deviceSignature = xeddsaSign(identity.private, deviceSignatureMessage(adv, identity.public))
  const jid = `${phone}:${deviceId}@s.whatsapp.net`
  const lid = `${user.lidUser}:${deviceId}@lid`
  const pushName = opts.pushName ?? user.name
  user.name = pushName

  const count = opts.preKeyCount ?? 30
  const preKeys: Record<string, KeyPair> = {}
  const serverPreKeys = new Map<number, Buffer>()
  for (let i = 1; i <= count; i++) {
    const kp = newKeyPair()
    preKeys[String(i)] = kp
    serverPreKeys.set(i, kp.public)
  }
  creds.nextPreKeyId = count + 1
  creds.firstUnuploadedPreKeyId = count + 1
  creds.account = {
    details: adv.deviceDetails,
    accountSignatureKey: adv.accountSignatureKey,
    accountSignature: adv.accountSignature,
    deviceSignature,
  }
  creds.me = { id: jid, lid, name: pushName }
  creds.signalIdentities = [
    { identifier: { name: lid, deviceId: 0 }, identifierKey: Buffer.concat([Buffer.from([5]), adv.accountSignatureKey]) },
  ]
  creds.platform = 'smba'

  const device: LinkedDevice = {
    user,
    deviceId,
    jid,
    lid,
    noisePublic: Buffer.from(creds.noiseKey.public),
    identityPublic: identity.public,
    registrationId: creds.registrationId,
    signedPreKey: {
      keyId: creds.signedPreKey.keyId,
      public: Buffer.from(creds.signedPreKey.keyPair.public),
      signature: Buffer.from(creds.signedPreKey.signature),
    },
    preKeys: serverPreKeys,
    keyIndex,
    pushName,
    loggedOut: false,
    refuseConnections: false,
    logins: 0,
    pending: [],
    unacked: new Map(),
    connection: undefined,
  }
  ctx.registry.addDevice(device)
  return { phone: `+${phone}`, jid, lid, creds, preKeys }
}

/** Same fields as Baileys' initAuthCreds(), with the signed pre-key signed by the fast XEdDSA signer. */
function newAuthCreds(): AuthenticationCreds {
  const identity = newKeyPair()
  return {
    noiseKey: newKeyPair(),
    pairingEphemeralKeyPair: newKeyPair(),
    signedIdentityKey: identity,
    signedPreKey: signedPreKey(identity, 1),
    registrationId: generateRegistrationId(),
    advSecretKey: randomBytes(32).toString('base64'),
    processedHistoryMessages: [],
    nextPreKeyId: 1,
    firstUnuploadedPreKeyId: 1,
    // a device linked earlier already had its initial history sync: Baileys does not wait 20 s for one
    accountSyncCounter: 1,
    accountSettings: { unarchiveChats: false },
    registered: false,
    pairingCode: undefined,
    lastPropHash: undefined,
    routingInfo: undefined,
    additionalData: undefined,
  }
}
