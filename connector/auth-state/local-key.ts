// A local development encryption key kept in a file (npm start keeps it under .data/).
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Returns the base64 key stored at `path`, creating it (mode 0600) on first use. */
export async function ensureLocalEncryptionKey(path: string): Promise<string> {
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (Buffer.from(existing, 'base64').length !== 32) {
      throw new Error(`${path} does not hold a base64 32-byte key; delete it to generate a new one (stored credentials become unreadable)`);
    }
    return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  const key = randomBytes(32).toString('base64');
  // Written aside, then linked into place: a concurrent reader never sees a half-written key.
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${key}\n`, { mode: 0o600 });
  try {
    await link(temp, path);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return ensureLocalEncryptionKey(path);
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}
