// The bytes of stored objects, on disk under the stack's storage folder. Each stored version is one
// file named by its version (a UUID), never by the object's name, so no object key can reach outside
// the folder. Writes stream into a temporary file, are fsynced and renamed into place: a reader sees
// a whole file or none. Size limits are enforced while the bytes stream; nothing is held in memory.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { storageErrors } from './errors.ts';

export interface StoredFile {
  version: string;
  size: number;
  /** Storage's eTag: the MD5 of the bytes in quotes, as S3 and Storage's file backend give it. */
  eTag: string;
  lastModified: Date;
}

/** Hashes what goes through and fails with EntityTooLarge as soon as more than `limit` bytes did. */
class MeasuredBytes extends Transform {
  bytes = 0;
  readonly hash = createHash('md5');
  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(storageErrors.entityTooLarge());
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  eTag(): string {
    return `"${this.hash.digest('hex')}"`;
  }
}

export interface FileStore {
  readonly root: string;
  /** Streams `body` into a new version file (at most `limit` bytes) and returns what was stored. */
  write(body: Readable, limit: number): Promise<StoredFile>;
  /** A new version holding a copy of `version` (same bytes, new file). */
  copy(version: string): Promise<StoredFile>;
  /** Size and mtime of a stored version; undefined when the file is gone. */
  stat(version: string): Promise<{ size: number; mtime: Date } | undefined>;
  read(version: string, range?: { start: number; end: number }): ReadStream;
  remove(versions: (string | null | undefined)[]): Promise<void>;
}

/**
 * A proxy of `body` that a failed pipeline may destroy without destroying `body` (the request: its
 * socket must live on to carry the error response). A body that errors or closes early fails it.
 */
function detached(body: Readable): PassThrough {
  const proxy = new PassThrough();
  let ended = false;
  const fail = (error?: Error) => {
    if (!ended && !proxy.destroyed) proxy.destroy(error ?? new Error('request closed before the upload completed'));
  };
  body.once('end', () => { ended = true; });
  body.once('error', fail);
  body.once('close', () => fail());
  body.pipe(proxy);
  return proxy;
}

const VERSION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function createFileStore(root: string): Promise<FileStore> {
  // Only the Node gateway reads these files (never Postgres), so the folder is private to it.
  await mkdir(join(root, 'objects'), { recursive: true, mode: 0o700 });
  await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o700 });

  const pathOf = (version: string) => {
    if (!VERSION.test(version)) throw new Error(`not a stored version: ${version}`);
    return join(root, 'objects', version.slice(0, 2), version);
  };

  async function place(temp: string, version: string): Promise<void> {
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await mkdir(join(root, 'objects', version.slice(0, 2)), { recursive: true, mode: 0o700 });
    await rename(temp, pathOf(version));
  }

  return {
    root,
    async write(body, limit) {
      const version = randomUUID();
      const temp = join(root, 'tmp', `${version}.partial`);
      const measured = new MeasuredBytes(limit);
      const source = detached(body);
      try {
        await pipeline(source, measured, createWriteStream(temp, { mode: 0o600 }));
        await place(temp, version);
      } catch (error) {
        body.unpipe(source);
        await rm(temp, { force: true });
        throw error;
      }
      return { version, size: measured.bytes, eTag: measured.eTag(), lastModified: new Date() };
    },
    async copy(source) {
      const version = randomUUID();
      const temp = join(root, 'tmp', `${version}.partial`);
      const hash = createHash('md5');
      try {
        await copyFile(pathOf(source), temp);
        for await (const chunk of createReadStream(temp)) hash.update(chunk as Buffer);
        await place(temp, version);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      const info = await stat(pathOf(version));
      return { version, size: info.size, eTag: `"${hash.digest('hex')}"`, lastModified: info.mtime };
    },
    async stat(version) {
      try {
        const info = await stat(pathOf(version));
        return { size: info.size, mtime: info.mtime };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    read(version, range) {
      return createReadStream(pathOf(version), range ? { start: range.start, end: range.end } : {});
    },
    async remove(versions) {
      for (const version of versions) {
        if (version && VERSION.test(version)) await rm(pathOf(version), { force: true });
      }
    },
  };
}
