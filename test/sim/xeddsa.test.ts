import { describe, expect, it } from 'vitest'
import { Curve } from '@whiskeysockets/baileys'
import { xeddsaSign, xeddsaVerify } from './xeddsa.ts'

describe('xeddsa', () => {
  it('fast signatures verify like curve25519-js ones, and tampering is rejected', () => {
    for (let i = 0; i < 20; i++) {
      const kp = Curve.generateKeyPair()
      const msg = Buffer.from(`message ${i} `.repeat(i + 1))
      const sig = xeddsaSign(kp.private, msg)
      expect(sig.length).toBe(64)
      expect(xeddsaVerify(kp.public, msg, sig)).toBe(true)
      expect(xeddsaVerify(kp.public, Buffer.concat([msg, Buffer.from('x')]), sig)).toBe(false)
      expect(xeddsaVerify(kp.public, msg, Curve.sign(kp.private, msg))).toBe(true)
    }
  })

  it("documents a Baileys rc14 quirk: Curve.verify accepts any well-formed signature", () => {
    const kp = Curve.generateKeyPair()
    expect(Curve.verify(kp.public, Buffer.from('a'), Buffer.alloc(64, 7))).toBe(true)
    expect(xeddsaVerify(kp.public, Buffer.from('a'), Buffer.alloc(64, 7))).toBe(false)
  })
})
