// Two shortcuts for the Noise handshake every login does, measured as the largest connector CPU cost of a
// cold start (test/bench cold-start profile, 200 logins): Baileys' `Curve` object (lib/Utils/crypto.js),
// which noise-handler.js reads at call time, so replacing its methods needs no loader hook.
//
// - `Curve.verify`: the handshake verifies the server's certificate chain (leaf and intermediate XEdDSA
//   signatures) in pure JS (curve25519-js), ~15 ms each, 2 per login, although the chain is the same bytes
//   for every login to the same server. Stock rc14 also never rejects: it calls libsignal's verifySignature
//   inside try/catch and returns true, but that function RETURNS false for a bad signature rather than
//   throwing, so a wrong certificate signature passed. Ours checks the result (a bad chain now fails the
//   handshake) and remembers successful verifications by the exact bytes (public key, message,
//   signature): the same inputs always give the same answer; failures are never remembered; bounded.
// - `Curve.sharedKey`: libsignal imports each X25519 key from DER (OpenSSL 3 decoders, ~2-4 ms per
//   agreement, 3 per login). Importing the raw key as a JWK gives the same secret ~10x faster.
// Both are checked against the stock functions when installed; if the check fails, nothing is replaced.
import { createHash, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { Curve } from '@whiskeysockets/baileys';
import { verifySignature } from 'libsignal/src/curve.js';

const VERIFIED_MAX = 64;

type Bytes = Uint8Array;
type Verify = (pubKey: Bytes, message: Bytes, signature: Bytes) => boolean;
type SharedKey = (privateKey: Bytes, publicKey: Bytes) => Buffer;

const stock = { sharedKey: Curve.sharedKey as SharedKey };
let installed: boolean | null = null;

const b64url = (b: Bytes) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/** X25519 agreement through a raw (JWK) key import; same result as libsignal's calculateAgreement. */
export function jwkSharedKey(privateKey: Bytes, publicKey: Bytes): Buffer {
  const pub = publicKey.length === 33 ? publicKey.subarray(1) : publicKey;
  if (privateKey.length !== 32 || pub.length !== 32) return stock.sharedKey(privateKey, publicKey);
  return diffieHellman({
    // x is not read for a private OKP key (Node derives the public half from d)
    privateKey: createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(privateKey), x: '' }, format: 'jwk' }),
    publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(pub) }, format: 'jwk' }),
  });
}

/** XEdDSA verification that honours the answer (stock Curve.verify returns true for any well-formed input). */
export function checkedVerify(pubKey: Bytes, message: Bytes, signature: Bytes): boolean {
  try {
    const key = pubKey.length === 33 ? pubKey : Buffer.concat([Buffer.from([5]), pubKey]);
    return verifySignature(key, message, signature) === true;
  } catch {
    return false;
  }
}

/** Curve.verify that remembers successful verifications of the same bytes (bounded, oldest dropped first). */
export function makeRememberingVerify(verify: Verify, max = VERIFIED_MAX): Verify {
  const verified = new Set<string>();
  return (pubKey, message, signature) => {
    const h = createHash('sha256');
    for (const part of [pubKey, message, signature]) h.update(String(part.length)).update(':').update(part);
    const key = h.digest('base64');
    if (verified.has(key)) return true;
    const ok = verify(pubKey, message, signature);
    if (ok) {
      verified.add(key);
      if (verified.size > max) verified.delete(verified.values().next().value!);
    }
    return ok;
  };
}

function sharedKeyAgrees(): boolean {
  try {
    for (let i = 0; i < 3; i++) {
      const a = Curve.generateKeyPair();
      const b = Curve.generateKeyPair();
      const pub = i === 0 ? Buffer.concat([Buffer.from([5]), b.public]) : b.public;
      if (!jwkSharedKey(a.private, pub).equals(Buffer.from(stock.sharedKey(a.private, pub)))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Installs both shortcuts once per process; false if the self-check failed (stock Baileys stays). */
export function installHandshakeShortcuts(): boolean {
  if (installed !== null) return installed;
  installed = sharedKeyAgrees();
  if (!installed) return false;
  const curve = Curve as unknown as { verify: Verify; sharedKey: SharedKey };
  curve.sharedKey = jwkSharedKey;
  curve.verify = makeRememberingVerify(checkedVerify);
  return true;
}
