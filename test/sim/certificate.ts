import { Curve, proto, WA_CERT_DETAILS } from '@whiskeysockets/baileys'

/** A Curve25519 key pair in Baileys' format (32-byte public key, no 0x05 prefix). */
export interface KeyPair {
  public: Buffer
  private: Buffer
}

/** The simulator's root key: its public half replaces WhatsApp's pinned root key in Baileys. */
export type SimulatorRootKey = KeyPair

/** Curve.generateKeyPair() with Buffers (Baileys' typings say Uint8Array). */
export function newKeyPair(): KeyPair {
  const kp = Curve.generateKeyPair()
  return { public: Buffer.from(kp.public), private: Buffer.from(kp.private) }
}

export function generateRootKey(): SimulatorRootKey {
  return newKeyPair()
}

/** Serialises the whole root key pair (private included) so another process can start an identical simulator. */
export function simulatorRootKeyToBase64(key: SimulatorRootKey): string {
  return Buffer.concat([key.private, key.public]).toString('base64')
}

export function simulatorRootKeyFromBase64(encoded: string): SimulatorRootKey {
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== 64) throw new Error(`simulator root key must be 64 bytes of base64, got ${raw.length}`)
  return { private: raw.subarray(0, 32), public: raw.subarray(32) }
}

/**
 * Points this process's Baileys at a simulator: sets the exported WA_CERT_DETAILS.PUBLIC_KEY (the only
 * thing patched). Accepts the public key as a Buffer or base64 (the simulator's `rootPublicKeyBase64`; the 64-byte `rootKeyBase64` works too).
 */
export function useSimulatorCertificate(rootPublicKey: Uint8Array | string): void {
  let key = typeof rootPublicKey === 'string' ? Buffer.from(rootPublicKey, 'base64') : Buffer.from(rootPublicKey)
  // also accept the whole key pair (rootKeyBase64): its public half is the last 32 bytes
  if (key.length === 64) key = key.subarray(32)
  if (key.length !== 32) throw new Error(`simulator root public key must be 32 bytes, got ${key.length}`)
  WA_CERT_DETAILS.PUBLIC_KEY = key
}

/**
 * Builds CertChain{intermediate signed by root, leaf (server static key) signed by intermediate}.
 * Baileys checks both XEdDSA signatures and intermediate.issuerSerial === WA_CERT_DETAILS.SERIAL (0).
 */
export function buildCertChain(root: SimulatorRootKey, serverStaticPublic: Buffer): Uint8Array {
  const intermediate = newKeyPair()
  const now = Math.floor(Date.now() / 1000)
  const year = 365 * 24 * 3600
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediate.public,
    notBefore: now - 3600,
    notAfter: now + year,
  }).finish()
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStaticPublic,
    notBefore: now - 3600,
    notAfter: now + year,
  }).finish()
  return proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: Curve.sign(root.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
  }).finish()
}
