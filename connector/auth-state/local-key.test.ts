import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureLocalEncryptionKey } from './local-key.ts';

describe('ensureLocalEncryptionKey', () => {
  it('creates a 32-byte key once (mode 0600) and returns the same key afterwards', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'wl-key-')), 'nested', 'auth-state.key');
    const [a, b] = await Promise.all([ensureLocalEncryptionKey(path), ensureLocalEncryptionKey(path)]);
    expect(a).toBe(b);
    expect(Buffer.from(a, 'base64')).toHaveLength(32);
    expect(await ensureLocalEncryptionKey(path)).toBe(a);
    expect((await readFile(path, 'utf8')).trim()).toBe(a);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
