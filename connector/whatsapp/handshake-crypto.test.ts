import '../../test/sim/testing/silence-libsignal.ts';
import { randomBytes } from 'node:crypto';
import { Curve } from '@whiskeysockets/baileys';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/sim/index.ts';
import { connectClient } from '../../test/sim/testing/baileys-client.ts';
import { memoryAuthState } from '../../test/sim/testing/memory-auth-state.ts';
import { checkedVerify, installHandshakeShortcuts, jwkSharedKey, makeRememberingVerify } from './handshake-crypto.ts';

const stockVerify = Curve.verify;

describe('handshake crypto shortcuts', () => {
  it('the raw-key X25519 agreement gives the same secret as libsignal, with or without the 0x05 prefix', () => {
    const stock = Curve.sharedKey;
    for (let i = 0; i < 5; i++) {
      const a = Curve.generateKeyPair();
      const b = Curve.generateKeyPair();
      const prefixed = Buffer.concat([Buffer.from([5]), b.public]);
      const expected = Buffer.from(stock(a.private, b.public));
      expect(jwkSharedKey(a.private, b.public).equals(expected)).toBe(true);
      expect(jwkSharedKey(a.private, prefixed).equals(expected)).toBe(true);
    }
  });

  it('the remembering verify still rejects a bad signature, never remembers a failure, and answers a verified triple without recomputing', () => {
    const pair = Curve.generateKeyPair();
    const message = randomBytes(100);
    const signature = Buffer.from(Curve.sign(pair.private, message));
    let calls = 0;
    const verify = makeRememberingVerify((k, m, s) => { calls++; return checkedVerify(k, m, s); }, 2);
    const tampered = Buffer.from(signature);
    tampered[10] = tampered[10]! ^ 1;
    // why the stock function is not wrapped: it returns true for any well-formed signature
    expect(stockVerify(pair.public, message, tampered)).toBe(true);
    expect(verify(pair.public, message, tampered)).toBe(false);
    expect(verify(pair.public, message, tampered)).toBe(false);
    expect(calls).toBe(2);
    expect(verify(pair.public, message, signature)).toBe(true);
    expect(verify(pair.public, message, signature)).toBe(true);
    expect(calls).toBe(3);
    // another message with the same signature is not the same triple
    expect(verify(pair.public, randomBytes(100), signature)).toBe(false);
    // bounded: two other verified triples push the first one out
    for (let i = 0; i < 2; i++) {
      const m = randomBytes(50);
      expect(verify(pair.public, m, Buffer.from(Curve.sign(pair.private, m)))).toBe(true);
    }
    const before = calls;
    expect(verify(pair.public, message, signature)).toBe(true);
    expect(calls).toBe(before + 1);
  });

  it('installing replaces Baileys Curve.verify and Curve.sharedKey in place (what the Noise handler calls)', () => {
    const a = Curve.generateKeyPair();
    const b = Curve.generateKeyPair();
    const expected = Buffer.from(Curve.sharedKey(a.private, b.public));
    expect(installHandshakeShortcuts()).toBe(true);
    expect(Curve.verify).not.toBe(stockVerify);
    expect(Curve.sharedKey).toBe(jwkSharedKey);
    expect(Buffer.from(Curve.sharedKey(a.private, b.public)).equals(expected)).toBe(true);
    const message = randomBytes(64);
    expect(Curve.verify(a.public, message, Buffer.from(Curve.sign(a.private, message)))).toBe(true);
    expect(Curve.verify(a.public, message, randomBytes(64))).toBe(false);
  });

  it('with the shortcuts, a login over the simulator opens, and a server whose certificate is not signed by the trusted root is refused', async () => {
    expect(installHandshakeShortcuts()).toBe(true);
    const sim = await startSimulator();
    afterAll(() => sim.stop());
    const linked = () => {
      const p = sim.provisionLinkedDevice({ phone: `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, pushName: 'Owner' });
      return memoryAuthState(p.creds, p.preKeys);
    };
    const wrongRoot = connectClient({ url: sim.url, rootPublicKeyBase64: Buffer.from(Curve.generateKeyPair().public).toString('base64') }, linked());
    let opened = false;
    wrongRoot.sock.ev.on('connection.update', (u) => { if (u.connection === 'open') opened = true; });
    await wrongRoot.closed();
    expect(opened).toBe(false);
    wrongRoot.end();
    const good = connectClient(sim, linked());
    await good.opened();
    good.end();
  });
});
