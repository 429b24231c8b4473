import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto'
import { Curve, NOISE_MODE, proto } from '@whiskeysockets/baileys'
import { newKeyPair, type KeyPair } from '../certificate.ts'

const EMPTY = Buffer.alloc(0)

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

function ivFor(counter: number): Buffer {
  const iv = Buffer.alloc(12)
  iv.writeUInt32BE(counter >>> 0, 8)
  return iv
}

function gcmEncrypt(key: Buffer, iv: Buffer, plaintext: Uint8Array, aad: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv)
  c.setAAD(aad)
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
}

function gcmDecrypt(key: Buffer, iv: Buffer, ciphertext: Uint8Array, aad: Buffer): Buffer {
  const buf = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength)
  const d = createDecipheriv('aes-256-gcm', key, iv)
  d.setAAD(aad)
  d.setAuthTag(buf.subarray(buf.length - 16))
  return Buffer.concat([d.update(buf.subarray(0, buf.length - 16)), d.final()])
}

/** Per-direction AES-256-GCM after the handshake: IV = 8 zero bytes + 32-bit BE counter, no AAD. */
export class TransportCipher {
  private readCounter = 0
  private writeCounter = 0
  constructor(
    private readonly encKey: Buffer,
    private readonly decKey: Buffer,
  ) {}
  encrypt(plaintext: Uint8Array): Buffer {
    return gcmEncrypt(this.encKey, ivFor(this.writeCounter++), plaintext, EMPTY)
  }
  decrypt(ciphertext: Uint8Array): Buffer {
    return gcmDecrypt(this.decKey, ivFor(this.readCounter++), ciphertext, EMPTY)
  }
}

/**
 * Server half of Noise_XX_25519_AESGCM_SHA256 as WhatsApp Web uses it (mirror of Baileys' noise-handler.js).
 * Usage: const hello = handshake.respond(clientHelloBytes); later handshake.finish(clientFinishBytes).
 */
export class NoiseServerHandshake {
  private hash: Buffer
  private salt: Buffer
  private key: Buffer
  private counter = 0
  private readonly ephemeral: KeyPair = newKeyPair()

  constructor(
    private readonly staticKey: KeyPair,
    private readonly certChain: Uint8Array,
    prologue: Buffer,
  ) {
    const mode = Buffer.from(NOISE_MODE)
    this.hash = mode.length === 32 ? mode : sha256(mode)
    this.salt = this.hash
    this.key = this.hash
    this.authenticate(prologue)
  }

  private authenticate(data: Uint8Array): void {
    this.hash = sha256(this.hash, data)
  }

  private mixKey(ikm: Uint8Array): void {
    const out = Buffer.from(hkdfSync('sha256', ikm, this.salt, EMPTY, 64))
    this.salt = out.subarray(0, 32)
    this.key = out.subarray(32)
    this.counter = 0
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const ct = gcmEncrypt(this.key, ivFor(this.counter++), plaintext, this.hash)
    this.authenticate(ct)
    return ct
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const pt = gcmDecrypt(this.key, ivFor(this.counter++), ciphertext, this.hash)
    this.authenticate(ciphertext)
    return pt
  }

  /** Consumes HandshakeMessage{clientHello}, returns the encoded HandshakeMessage{serverHello}. */
  respond(clientHelloFrame: Uint8Array): Uint8Array {
    const msg = proto.HandshakeMessage.decode(clientHelloFrame)
    const clientEphemeral = msg.clientHello?.ephemeral
    if (!clientEphemeral || clientEphemeral.length !== 32) throw new Error('noise: client hello without ephemeral key')
    this.clientEphemeral = Buffer.from(clientEphemeral)
    this.authenticate(this.clientEphemeral)
    this.authenticate(this.ephemeral.public)
    this.mixKey(Curve.sharedKey(this.ephemeral.private, this.clientEphemeral))
    const staticEnc = this.encrypt(this.staticKey.public)
    this.mixKey(Curve.sharedKey(this.staticKey.private, this.clientEphemeral))
    const payloadEnc = this.encrypt(this.certChain)
    return proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: staticEnc, payload: payloadEnc },
    }).finish()
  }

  private clientEphemeral: Buffer = EMPTY

  /** Consumes HandshakeMessage{clientFinish}; returns the client's static (noise) key, its ClientPayload and the transport cipher. */
  finish(clientFinishFrame: Uint8Array): { clientStatic: Buffer; payload: proto.ClientPayload; transport: TransportCipher } {
    const msg = proto.HandshakeMessage.decode(clientFinishFrame)
    const fin = msg.clientFinish
    if (!fin?.static || !fin.payload) throw new Error('noise: client finish incomplete')
    const clientStatic = this.decrypt(fin.static)
    this.mixKey(Curve.sharedKey(this.ephemeral.private, clientStatic))
    const payload = proto.ClientPayload.decode(this.decrypt(fin.payload))
    const out = Buffer.from(hkdfSync('sha256', EMPTY, this.salt, EMPTY, 64))
    // client: enc = out[0:32], dec = out[32:64]; the server uses the opposite halves
    const transport = new TransportCipher(out.subarray(32), out.subarray(0, 32))
    return { clientStatic, payload, transport }
  }
}
