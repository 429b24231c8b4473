// Checks a decrypted media file as it streams past: its length against the size cap and the length the
// message states, and its SHA-256 against the message's fileSha256 (whatsmeow download.go checks the same;
// Baileys' decrypting stream checks neither). Nothing is buffered beyond one chunk, and that last chunk is
// released only after every check passed, so a consumer that stops on the stream's error (the Storage
// upload) never completes a file that failed them.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class MediaIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaIntegrityError';
  }
}

export class MediaTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the file is larger than ${limit} bytes (the user's media cap)`);
    this.name = 'MediaTooLargeError';
  }
}

export interface Expected {
  /** base64 SHA-256 of the plaintext, or null when the message carries none */
  fileSha256: string | null;
  fileLength: number | null;
  maxBytes: number;
}

export function verifyingStream(expected: Expected): Transform & { readonly bytes: number } {
  const hash = createHash('sha256');
  let held: Buffer | null = null;
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      bytes += chunk.length;
      if (bytes > expected.maxBytes) {
        callback(new MediaTooLargeError(expected.maxBytes));
        return;
      }
      hash.update(chunk);
      const previous = held;
      held = chunk;
      callback(null, previous ?? undefined);
    },
    flush(callback: TransformCallback) {
      if (expected.fileLength !== null && expected.fileLength !== bytes) {
        callback(new MediaIntegrityError(`the file has ${bytes} bytes, the message says ${expected.fileLength}`));
        return;
      }
      if (expected.fileSha256 && !hash.digest().equals(Buffer.from(expected.fileSha256, 'base64'))) {
        callback(new MediaIntegrityError('the file does not match the message\'s fileSha256'));
        return;
      }
      callback(null, held ?? undefined);
    },
  });
  return Object.defineProperty(stream, 'bytes', { get: () => bytes }) as Transform & { readonly bytes: number };
}
