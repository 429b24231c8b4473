// The whatsapp-media bucket through the Storage API (/storage/v1, the same on Supabase and the local stack)
// with the connector's service key, over node:http(s) with bodies streamed both ways: Node's fetch (undici)
// buffers a streamed request body whole (undici#4058, the reason rc14 uploads with node:https too), which
// a 100 MB document must not do. The routes are Storage's own (storage-js uses the same).
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface MediaStorageConfig {
  storageUrl: string;
  serviceKey: string;
  bucket: string;
}

export class MediaStorageError extends Error {
  /** Storage's own status: the body's `statusCode` where Storage answers HTTP 400 for every refusal ('413' = over the upload limit) */
  constructor(message: string, readonly status: number | undefined) {
    super(message);
    this.name = 'MediaStorageError';
  }
}

const storageStatus = (httpStatus: number | undefined, text = '') => {
  const inBody = /"statusCode":\s*"(\d{3})"/.exec(text)?.[1];
  return inBody ? Number(inBody) : httpStatus;
};

async function readSmall(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) if (text.length < 2000) text += String(chunk);
  return text.slice(0, 2000);
}

export function createMediaStorage(config: MediaStorageConfig) {
  const base = config.storageUrl.replace(/\/+$/, '');
  const send = (route: string, path: string, options: RequestOptions): ClientRequest => {
    const url = new URL(`${base}/storage/v1/${route}/${config.bucket}/${path}`);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return request(url, { ...options, headers: { authorization: `Bearer ${config.serviceKey}`, apikey: config.serviceKey, ...options.headers } });
  };
  return {
    /**
     * Streams `body` into the object (overwriting: a retried download replaces what an earlier attempt
     * left). When `body` fails (a check failed, the download broke) the request is aborted and Storage
     * keeps nothing.
     */
    async put(path: string, body: Readable, contentType: string): Promise<void> {
      const req = send('object', path, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'cache-control': 'max-age=3600',
          'x-upsert': 'true',
        },
      });
      const answered = new Promise<IncomingMessage>((resolve, reject) => {
        req.on('response', resolve);
        req.on('error', reject);
      });
      // Storage may refuse before the body is sent (over its upload limit): the answer, not the broken pipe, is the error.
      const refused = answered.then(async (res) => {
        if (res.statusCode === 200) return;
        const text = await readSmall(res);
        throw new MediaStorageError(`uploading ${path} failed (${res.statusCode}): ${text}`, storageStatus(res.statusCode, text));
      });
      refused.catch(() => {});
      try {
        await pipeline(body, req);
      } catch (error) {
        // a refusal Storage sent first explains the aborted upload; any other failure is the body's own
        const refusal = await Promise.race([
          refused.then(() => null, (e: unknown) => (e instanceof MediaStorageError ? e : null)),
          new Promise<null>((resolve) => setTimeout(resolve, 1000, null).unref()),
        ]);
        throw refusal ?? error;
      }
      await refused;
      (await answered).resume();
    },
    /** A stream of the object's bytes, or null when there is no such object. */
    async open(path: string): Promise<Readable | null> {
      const req = send('object/authenticated', path, { method: 'GET' });
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        req.on('response', resolve);
        req.on('error', reject);
        req.end();
      });
      if (res.statusCode === 200) return res;
      const text = await readSmall(res);
      // Storage answers a missing object 400 with statusCode "404" in the body (storage-js reads it the same way)
      if (res.statusCode === 404 || (res.statusCode === 400 && /"statusCode":\s*"404"|not_found/i.test(text))) return null;
      throw new MediaStorageError(`downloading ${path} failed (${res.statusCode}): ${text}`, res.statusCode);
    },
  };
}

export type MediaStorage = ReturnType<typeof createMediaStorage>;
