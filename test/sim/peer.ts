import { randomInt } from 'node:crypto'
import { proto, unpadRandomMax16, writeRandomPadMax16 } from '@whiskeysockets/baileys'
import libsignal from 'libsignal'
import { signedPreKey } from './adv.ts'
import { newKeyPair, type KeyPair } from './certificate.ts'

const prefixed = (pub: Uint8Array): Buffer => (pub.length === 33 ? Buffer.from(pub) : Buffer.concat([Buffer.from([5]), pub]))

/** What a device publishes on the server (the `encrypt` IQ bundle). Public keys are 32 bytes (no 0x05). */
export interface PreKeyBundle {
  registrationId: number
  identity: Buffer
  signedPreKey: { keyId: number; public: Buffer; signature: Buffer }
  preKey?: { keyId: number; public: Buffer }
}

type SessionRecord = InstanceType<typeof libsignal.SessionRecord>

export interface PeerState {
  identity: KeyPair
  registrationId: number
  signedPreKey: SignalPeer['signedPreKey']
  preKeys: [number, KeyPair][]
  nextPreKeyId: number
  sessions: [string, unknown][]
}
type SessionCipher = InstanceType<typeof libsignal.SessionCipher>

/**
 * A simulated primary device (device 0: a phone) with its own Signal identity and real libsignal sessions.
 * Its identity key is also the account's ADV signing key, as on a real phone.
 */
export class SignalPeer {
  readonly identity: KeyPair = newKeyPair()
  readonly registrationId = randomInt(1, 16380)
  readonly signedPreKey = signedPreKey(this.identity, 1)
  private readonly preKeys = new Map<number, KeyPair>()
  private nextPreKeyId = 1
  private readonly sessions = new Map<string, SessionRecord>()
  private readonly ciphers = new Map<string, SessionCipher>()

  private readonly storage = {
    loadSession: async (id: string) => this.sessions.get(id),
    storeSession: async (id: string, record: SessionRecord) => {
      this.sessions.set(id, record)
    },
    isTrustedIdentity: () => true,
    loadPreKey: async (id: number | string) => {
      const kp = this.preKeys.get(Number(id))
      return kp ? { privKey: kp.private, pubKey: prefixed(kp.public) } : undefined
    },
    removePreKey: (id: number) => {
      this.preKeys.delete(id)
    },
    loadSignedPreKey: () => ({ privKey: this.signedPreKey.keyPair.private, pubKey: prefixed(this.signedPreKey.keyPair.public) }),
    getOurRegistrationId: () => this.registrationId,
    getOurIdentity: () => ({ privKey: this.identity.private, pubKey: prefixed(this.identity.public) }),
  }

  /** Everything this phone knows (keys, pre-keys, Signal sessions), JSON-safe with BufferJSON (persistence.ts). */
  exportState(): PeerState {
    return {
      identity: this.identity,
      registrationId: this.registrationId,
      signedPreKey: this.signedPreKey,
      preKeys: [...this.preKeys],
      nextPreKeyId: this.nextPreKeyId,
      sessions: [...this.sessions].map(([id, record]) => [id, (record as unknown as { serialize(): unknown }).serialize()]),
    }
  }

  /** The same phone again, from exportState() (a restarted simulator keeps its accounts' keys and sessions). */
  static fromState(state: PeerState): SignalPeer {
    const peer = new SignalPeer()
    Object.assign(peer, { identity: state.identity, registrationId: state.registrationId, signedPreKey: state.signedPreKey })
    for (const [id, kp] of state.preKeys) peer.preKeys.set(id, kp)
    peer.nextPreKeyId = state.nextPreKeyId
    const deserialize = libsignal.SessionRecord.deserialize as unknown as (data: unknown) => SessionRecord
    for (const [id, data] of state.sessions) peer.sessions.set(id, deserialize.call(libsignal.SessionRecord, data))
    return peer
  }

  /** A bundle with a fresh one-time pre-key, as the server hands it out for this device. */
  takeBundle(): PreKeyBundle {
    const keyId = this.nextPreKeyId++
    const kp = newKeyPair()
    this.preKeys.set(keyId, kp)
    return {
      registrationId: this.registrationId,
      identity: this.identity.public,
      signedPreKey: {
        keyId: this.signedPreKey.keyId,
        public: this.signedPreKey.keyPair.public,
        signature: Buffer.from(this.signedPreKey.signature),
      },
      preKey: { keyId, public: kp.public },
    }
  }

  private cipher(name: string, device: number): SessionCipher {
    const key = `${name}.${device}`
    let c = this.ciphers.get(key)
    if (!c) {
      c = new libsignal.SessionCipher(this.storage, new libsignal.ProtocolAddress(name, device))
      this.ciphers.set(key, c)
    }
    return c
  }

  /** Loses every Signal session (a reinstall or restore): later `msg` ciphertexts no longer decrypt. */
  forgetSessions(): void {
    this.sessions.clear()
    this.ciphers.clear()
  }

  hasSession(name: string, device: number): boolean {
    return !!this.sessions.get(`${name}.${device}`)?.haveOpenSession()
  }

  async startSession(name: string, device: number, bundle: PreKeyBundle): Promise<void> {
    const builder = new libsignal.SessionBuilder(this.storage, new libsignal.ProtocolAddress(name, device))
    await builder.initOutgoing({
      registrationId: bundle.registrationId,
      identityKey: prefixed(bundle.identity),
      signedPreKey: {
        keyId: bundle.signedPreKey.keyId,
        publicKey: prefixed(bundle.signedPreKey.public),
        signature: bundle.signedPreKey.signature,
      },
      // libsignal's typings require a pre-key; a bundle without one is still valid at runtime
      preKey: (bundle.preKey ? { keyId: bundle.preKey.keyId, publicKey: prefixed(bundle.preKey.public) } : undefined) as never,
    })
  }

  /** Encrypts a WhatsApp `Message` (padded like the real clients). */
  async encryptMessage(name: string, device: number, message: proto.IMessage): Promise<{ type: 'pkmsg' | 'msg'; ciphertext: Buffer }> {
    const plain = writeRandomPadMax16(proto.Message.encode(message).finish())
    const { type, body } = await this.cipher(name, device).encrypt(plain)
    return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body) }
  }

  async decryptMessage(name: string, device: number, type: string, ciphertext: Uint8Array): Promise<proto.Message> {
    const c = this.cipher(name, device)
    const buf = Buffer.from(ciphertext)
    const plain = type === 'pkmsg' ? await c.decryptPreKeyWhisperMessage(buf) : await c.decryptWhisperMessage(buf)
    return proto.Message.decode(unpadRandomMax16(plain))
  }
}
