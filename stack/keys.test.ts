// The signing key set: created once (0600) and reused, so tokens survive a restart; rotation-ready (the
// first signing key signs, every key in the set verifies and is published).
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { createJwtKeys, generateSigningKey, hs256Keys, InvalidJwtError, loadOrCreateSigningKeys } from './keys.ts';

const dirs: string[] = [];
afterAll(async () => { for (const dir of dirs) await rm(dir, { recursive: true, force: true }); });
const tempDir = async () => { const dir = await mkdtemp(join(tmpdir(), 'wl-keys-')); dirs.push(dir); return dir; };
const token = (keys: Awaited<ReturnType<typeof createJwtKeys>>) =>
  keys.sign(new SignJWT({ role: 'authenticated' }).setSubject('u').setExpirationTime('1h'));

describe('signing keys', () => {
  it('creates the key file once (mode 0600) and reads the same key back: a token from before a restart verifies', async () => {
    const path = join(await tempDir(), 'nested', 'signing-keys.json');
    const first = await loadOrCreateSigningKeys(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateSigningKeys(path);
    expect(again).toEqual(first);
    const before = await token(await createJwtKeys({ signingKeys: first }));
    await expect((await createJwtKeys({ signingKeys: again })).verify(before)).resolves.toMatchObject({ sub: 'u' });
  });

  it('refuses a key file that is not a set of ES256 private keys', async () => {
    const path = join(await tempDir(), 'bad.json');
    await writeFile(path, JSON.stringify([{ kty: 'oct', k: 'x' }]));
    await expect(loadOrCreateSigningKeys(path)).rejects.toThrow(/ES256 private JWKs/);
    await writeFile(path, 'not json');
    await expect(loadOrCreateSigningKeys(path)).rejects.toThrow(/not JSON/);
  });

  it('rotation: the new key signs, the previous one still verifies, both are published without private parts', async () => {
    const previous = await generateSigningKey();
    const current = await generateSigningKey();
    const before = await token(await createJwtKeys({ signingKeys: [previous] }));
    const rotated = await createJwtKeys({ signingKeys: [current, { ...previous, key_ops: ['verify'] }] });
    const after = await token(rotated);
    expect(decodeProtectedHeader(after).kid).toBe(current.kid);
    await expect(rotated.verify(before)).resolves.toMatchObject({ sub: 'u' });
    expect(rotated.jwks.keys.map((key) => key.kid)).toEqual([current.kid, previous.kid]);
    expect(JSON.stringify(rotated.jwks)).not.toContain('"d"');
    // Once the previous key is removed, its tokens stop verifying.
    const retired = await createJwtKeys({ signingKeys: [current] });
    await expect(retired.verify(before)).rejects.toBeInstanceOf(InvalidJwtError);
  });

  it('the legacy mode signs HS256 with the secret and publishes nothing', async () => {
    const keys = hs256Keys('a-secret-a-secret-a-secret-a-secret-1234');
    const signed = await token(keys);
    expect(decodeProtectedHeader(signed)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(keys.jwks).toEqual({ keys: [] });
    await expect(hs256Keys('another-secret-another-secret-another-1').verify(signed)).rejects.toMatchObject({ reason: 'invalid_signature' });
  });
});
