import { createHash, randomBytes } from 'node:crypto'
import libsignal from 'libsignal'
import { ed25519 } from '@noble/curves/ed25519'

/**
 * XEdDSA signing (Signal's curve25519 signatures, as libsignal / curve25519-js produce and Baileys' Curve.verify
 * checks) with noble's precomputed Ed25519 base-point tables: ~100x faster than curve25519-js, same signatures'
 * validity. Used where the simulator signs per linked device (ADV identities, signed pre-keys), so that
 * thousands of devices can be provisioned in seconds. Verified against Curve.verify in xeddsa.test.ts.
 */
const { Point, CURVE } = ed25519
const n = CURVE.n

const toBigLE = (b: Uint8Array): bigint => {
  let x = 0n
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!)
  return x
}

const toBytesLE = (x: bigint, len: number): Uint8Array => {
  const out = new Uint8Array(len)
  for (let i = 0; i < len; i++) {
    out[i] = Number(x & 0xffn)
    x >>= 8n
  }
  return out
}

const sha512 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha512')
  for (const p of parts) h.update(p)
  return h.digest()
}

export function xeddsaSign(curvePrivateKey: Uint8Array, message: Uint8Array): Buffer {
  const k = Uint8Array.from(curvePrivateKey)
  k[0]! &= 248
  k[31]! &= 127
  k[31]! |= 64
  const a = toBigLE(k) % n
  const A = Point.BASE.multiply(a).toBytes()
  const signBit = A[31]! & 0x80
  const r = toBigLE(sha512(randomBytes(64), k, message)) % n || 1n
  const R = Point.BASE.multiply(r).toBytes()
  const h = toBigLE(sha512(R, A, message)) % n
  const s = (r + h * a) % n
  const sig = Buffer.concat([R, toBytesLE(s, 32)])
  sig[63]! |= signBit
  return sig
}

const signalCurve = (libsignal as unknown as {
  curve: { verifySignature(pub: Buffer, msg: Uint8Array, sig: Uint8Array): boolean }
}).curve

/**
 * A real XEdDSA check (curve25519-js through libsignal). Do not use Baileys' Curve.verify for this: in rc14 it
 * returns true for every well-formed 64-byte signature, because libsignal's verifySignature returns false
 * instead of throwing and Curve.verify only catches throws.
 */
export function xeddsaVerify(curvePublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const pub = curvePublicKey.length === 33 ? Buffer.from(curvePublicKey) : Buffer.concat([Buffer.from([5]), curvePublicKey])
  try {
    return signalCurve.verifySignature(pub, message, signature) === true
  } catch {
    return false
  }
}
