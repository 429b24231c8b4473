// Storage's bytes stream: an upload reaches the disk while the client is still sending it, a chunked
// body (no Content-Length) over the bucket's limit is cut off as 413 with nothing left on disk, and a
// large upload and download through supabase-js (in a child process) do not hold the file in the
// gateway's memory.
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { repoRoot } from '../../stack/db/prepare.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const execFileAsync = promisify(execFile);

let stack: TestStack;
let service: SupabaseClient;
let storageDir: string;

const MiB = 1024 * 1024;

beforeAll(async () => {
  // Room for a file larger than the memory that streaming it may take (config.toml's 100 MiB is less).
  stack = await startTestStack({ storageFileSizeLimit: 200 * MiB });
  if (!stack.storageDir) throw new Error('these tests look at the local stack’s storage folder');
  storageDir = stack.storageDir;
  service = stack.serviceClient();
  for (const { error } of [
    await service.storage.createBucket('big', { public: false }),
    await service.storage.createBucket('small', { public: false, fileSizeLimit: 100_000 }),
  ]) if (error) throw error;
});
afterAll(() => stack?.stop());


/** `total` bytes of a repeating pattern in 64 KiB chunks, generated as they are read. */
function patternStream(total: number, beforeChunk?: (sent: number) => Promise<void>): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789');
  return new Readable({
    async read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      await beforeChunk?.(sent);
      const size = Math.min(chunk.length, total - sent);
      sent += size;
      this.push(chunk.subarray(0, size));
    },
  });
}

async function partialFiles(): Promise<{ name: string; size: number }[]> {
  const names = await readdir(join(storageDir, 'tmp'));
  return Promise.all(names.map(async (name) => ({ name, size: (await stat(join(storageDir, 'tmp', name))).size })));
}

describe('storage streams bytes', () => {
  it('an upload is on disk (as a partial file) before the client has sent all of it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let onDiskWhileSending: { name: string; size: number }[] = [];
    const body = patternStream(4 * MiB, async (sent) => {
      if (sent !== 2 * MiB) return;
      // Half sent, the rest held back: the gateway must already be writing.
      await expect.poll(async () => (await partialFiles()).some((file) => file.size > MiB), { timeout: 15_000 }).toBe(true);
      onDiskWhileSending = await partialFiles();
      release();
    });
    const upload = service.storage.from('big').upload('held.bin', body, { contentType: 'application/octet-stream' });
    await held;
    const { error } = await upload;
    expect(error).toBeNull();
    expect(onDiskWhileSending.length).toBe(1);
    expect(await partialFiles()).toEqual([]);
    const info = await service.storage.from('big').info('held.bin');
    expect(info.data?.size).toBe(4 * MiB);
  });

  it('a chunked body over the bucket limit is refused as 413 while it streams, leaving no row and no file', async () => {
    const before = await readdir(join(storageDir, 'objects')).then((dirs) => dirs.length);
    const { error } = await service.storage.from('small').upload('too-big.bin', patternStream(8 * MiB), { contentType: 'application/octet-stream' });
    expect(error).toMatchObject({ status: 400, statusCode: '413' });
    expect(await stack.sql`select 1 from storage.objects where bucket_id = 'small'`).toEqual([]);
    expect(await partialFiles()).toEqual([]);
    expect(await readdir(join(storageDir, 'objects')).then((dirs) => dirs.length)).toBe(before);
    const ok = await service.storage.from('small').upload('fits.bin', patternStream(100_000), { contentType: 'application/octet-stream' });
    expect(ok.error).toBeNull();
  });

  it('a 96 MiB upload and download through supabase-js keep the gateway’s memory far below the file size', async () => {
    // The client runs in its own process: fetch's own buffering is not the gateway's memory.
    const size = 96 * MiB;
    let peak = 0;
    const baseline = memory();
    const sampler = setInterval(() => { peak = Math.max(peak, memory() - baseline); }, 5);
    let result: { uploadError: unknown; status: number; received: number; md5: string };
    try {
      const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', CLIENT_SCRIPT], {
        cwd: repoRoot,
        env: { ...process.env, STORAGE_URL: stack.url, STORAGE_KEY: stack.secretKey, STORAGE_SIZE: String(size) },
        maxBuffer: 1024 * 1024,
      });
      result = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof result;
    } finally {
      clearInterval(sampler);
    }
    expect(result).toMatchObject({ uploadError: null, status: 200, received: size });
    const expected = createHash('md5');
    for await (const chunk of patternStream(size)) expected.update(chunk as Buffer);
    expect(result.md5).toBe(expected.digest('hex'));
    // Holding the file would take 96 MiB at least (twice that to concatenate chunks). Streaming leaves
    // garbage chunks until the next GC: measured about 32 MiB for 8 to 192 MiB files alike.
    expect(peak).toBeLessThan(64 * MiB);
  });
});

/** supabase-js in a child process: upload a generated stream, download it through a signed URL, hash it. */
const CLIENT_SCRIPT = `
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import WebSocket from 'ws';
import { createClient } from '@supabase/supabase-js';
const size = Number(process.env.STORAGE_SIZE);
const client = createClient(process.env.STORAGE_URL, process.env.STORAGE_KEY, { auth: { persistSession: false }, realtime: { transport: WebSocket } });
const chunk = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789');
let sent = 0;
const body = new Readable({ read() {
  if (sent >= size) { this.push(null); return; }
  const n = Math.min(chunk.length, size - sent); sent += n; this.push(chunk.subarray(0, n));
} });
const up = await client.storage.from('big').upload('large.bin', body, { contentType: 'application/octet-stream' });
const signed = await client.storage.from('big').createSignedUrl('large.bin', 60);
const res = await fetch(signed.data.signedUrl);
const hash = createHash('md5');
let received = 0;
for await (const part of res.body) { hash.update(part); received += part.length; }
console.log(JSON.stringify({ uploadError: up.error, status: res.status, received, md5: hash.digest('hex') }));
`;

function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}
