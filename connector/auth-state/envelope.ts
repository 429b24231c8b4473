// Versioned envelope for auth-state values at rest.
//   v0: 0x00 ‖ plaintext                                   (AUTH_STATE_ENCRYPTION=disabled)
//   v1: 0x01 ‖ keyId(4) ‖ iv(12) ‖ tag(16) ‖ AES-256-GCM ciphertext
// keyId = first 4 bytes of SHA-256(key), so old keys can be listed for reading while new writes use
// the current one (rotation). The AAD binds a value to its (session, kind, key id) row, so a
// ciphertext copied onto another row does not decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface EnvelopeKeys {
  current: Buffer | null;
  old?: Buffer[];
}

export class AuthStateDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthStateDecryptError';
  }
}

const fingerprint = (key: Buffer) => createHash('sha256').update(key).digest().subarray(0, 4);

export interface Envelope {
  seal(plaintext: Buffer, aad: string): Buffer;
  open(sealed: Buffer, aad: string): Buffer;
  readonly encrypted: boolean;
}

export function makeEnvelope(keys: EnvelopeKeys): Envelope {
  const byId = new Map<string, Buffer>();
  for (const key of [...(keys.old ?? []), ...(keys.current ? [keys.current] : [])]) {
    if (key.length !== 32) throw new Error('auth-state encryption keys must be 32 bytes');
    byId.set(fingerprint(key).toString('hex'), key);
  }
  const current = keys.current;
  const currentId = current ? fingerprint(current) : null;

  return {
    encrypted: current !== null,
    seal(plaintext, aad) {
      if (!current || !currentId) return Buffer.concat([Buffer.from([0]), plaintext]);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(aad));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([Buffer.from([1]), currentId, iv, cipher.getAuthTag(), body]);
    },
    open(sealed, aad) {
      const version = sealed[0];
      if (version === 0) return sealed.subarray(1);
      if (version !== 1) throw new AuthStateDecryptError(`unknown auth-state envelope version ${version}`);
      const key = byId.get(sealed.subarray(1, 5).toString('hex'));
      if (!key) {
        throw new AuthStateDecryptError(
          'auth-state value was encrypted with a key that is not configured (set AUTH_STATE_ENCRYPTION_KEY or list it in AUTH_STATE_ENCRYPTION_OLD_KEYS)');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(5, 17));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(sealed.subarray(17, 33));
      try {
        return Buffer.concat([decipher.update(sealed.subarray(33)), decipher.final()]);
      } catch {
        throw new AuthStateDecryptError('auth-state value failed authentication (tampered, or moved to another row)');
      }
    },
  };
}
