// Versioned envelope for auth-state values at rest.
//   v0: 0x00 ‖ plaintext                                   (AUTH_STATE_ENCRYPTION=disabled)
//   v1: 0x01 ‖ keyId(4) ‖ iv(12) ‖ tag(16) ‖ AES-256-GCM ciphertext
// keyId = first 4 bytes of SHA-256(key), so old keys can be listed for reading while new writes use
// the current one (rotation). The AAD binds a value to its (session, kind, key id) row, so a
// ciphertext copied onto another row does not decrypt.
// With a key configured, a v0 (plaintext) value is refused on read: anyone who can write the table could
// otherwise plant credentials that need no key. `acceptPlaintext` (AUTH_STATE_MIGRATE_PLAINTEXT=enabled) reads
// them while a deployment that ran with AUTH_STATE_ENCRYPTION=disabled moves to a key (npm run auth-state:rekey).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface EnvelopeKeys {
  current: Buffer | null;
  old?: Buffer[];
  /** read v0 (plaintext) values although a key is configured: the migration switch, off by default */
  acceptPlaintext?: boolean;
}

export class AuthStateDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthStateDecryptError';
  }
}

/** The AAD of a whatsapp_auth_state row's value: its (session, kind, key id). */
export const authStateAad = (sessionId: string, kind: string, keyId: string) => `${sessionId}/${kind}/${keyId}`;

const fingerprint = (key: Buffer) => createHash('sha256').update(key).digest().subarray(0, 4);

export interface Envelope {
  seal(plaintext: Buffer, aad: string): Buffer;
  open(sealed: Buffer, aad: string): Buffer;
  /** true when `sealed` is already in the form seal() writes now (current key, or v0 without one) */
  isCurrent(sealed: Buffer): boolean;
  /** the first bytes of every value seal() writes now: version and key id (v1), or the v0 byte */
  readonly currentPrefix: Buffer;
  readonly encrypted: boolean;
}

export const PLAINTEXT_REFUSED =
  'auth-state value is stored unencrypted (envelope v0) but an encryption key is configured: refused. To move '
  + 'credentials stored with AUTH_STATE_ENCRYPTION=disabled under the key, set AUTH_STATE_MIGRATE_PLAINTEXT=enabled '
  + 'and run npm run auth-state:rekey';

export function makeEnvelope(keys: EnvelopeKeys): Envelope {
  const byId = new Map<string, Buffer>();
  for (const key of [...(keys.old ?? []), ...(keys.current ? [keys.current] : [])]) {
    if (key.length !== 32) throw new Error('auth-state encryption keys must be 32 bytes');
    byId.set(fingerprint(key).toString('hex'), key);
  }
  const current = keys.current;
  const currentId = current ? fingerprint(current) : null;
  const currentPrefix = currentId ? Buffer.concat([Buffer.from([1]), currentId]) : Buffer.from([0]);

  return {
    encrypted: current !== null,
    currentPrefix,
    isCurrent: (sealed) => sealed.subarray(0, currentPrefix.length).equals(currentPrefix),
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
      if (version === 0) {
        if (current && !keys.acceptPlaintext) throw new AuthStateDecryptError(PLAINTEXT_REFUSED);
        return sealed.subarray(1);
      }
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
