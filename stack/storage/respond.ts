// Sending an object's bytes the way Storage's asset renderer does (src/storage/renderer/renderer.ts):
// Content-Type, ETag, Last-Modified, Cache-Control (or Expires for signed URLs), Accept-Ranges and
// single byte ranges (206), If-None-Match (304), `?download` (Content-Disposition). The file streams
// from disk; nothing is buffered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { headerValue } from '../gateway/index.ts';
import { storageErrors } from './errors.ts';
import type { FileStore } from './files.ts';

export interface StoredObject {
  version: string | null;
  metadata: Record<string, unknown> | null;
}

export interface AssetOptions {
  /** `?download` as given: '' → attachment, a name → attachment with that file name. */
  download?: string | null;
  /** Signed URLs answer with Expires instead of Cache-Control. */
  expires?: Date;
  headOnly?: boolean;
}

function notFound(res: ServerResponse): void {
  // The renderer's own answer when the bytes are missing (HTTP 400, statusCode "404").
  const body = JSON.stringify({ error: 'Not found', message: 'The resource was not found', statusCode: '404', code: 'NoSuchKey' });
  res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function parseRange(header: string, size: number): { start: number; end: number } {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) throw storageErrors.invalidRange();
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) throw storageErrors.invalidRange();
  return { start, end };
}

export async function sendAsset(req: IncomingMessage, res: ServerResponse, files: FileStore, object: StoredObject, options: AssetOptions = {}): Promise<void> {
  const meta = object.metadata ?? {};
  const info = object.version ? await files.stat(object.version) : undefined;
  if (!info || !object.version) {
    notFound(res);
    return;
  }
  const eTag = typeof meta.eTag === 'string' ? meta.eTag : undefined;
  const headers: Record<string, string> = {
    'accept-ranges': 'bytes',
    'content-type': typeof meta.mimetype === 'string' && meta.mimetype ? meta.mimetype : 'application/octet-stream',
    'x-robots-tag': 'none',
    'last-modified': info.mtime.toUTCString(),
  };
  if (eTag) headers.etag = eTag;
  if (options.expires) headers.expires = options.expires.toUTCString();
  else if (typeof meta.cacheControl === 'string' && meta.cacheControl) headers['cache-control'] = meta.cacheControl;
  if (options.download !== undefined && options.download !== null) {
    const name = encodeURIComponent(options.download);
    headers['content-disposition'] = options.download === '' ? 'attachment;' : `attachment; filename=${name}; filename*=UTF-8''${name}`;
  }

  const ifNoneMatch = headerValue(req, 'if-none-match');
  if (eTag && ifNoneMatch && ifNoneMatch === eTag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }

  const rangeHeader = headerValue(req, 'range');
  const range = rangeHeader && info.size > 0 ? parseRange(rangeHeader, info.size) : undefined;
  const length = range ? range.end - range.start + 1 : info.size;
  headers['content-length'] = String(length);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${info.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (options.headOnly || req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  // A client that goes away ends the pipeline with an error: nothing to answer then.
  await pipeline(files.read(object.version, range), res).catch(() => res.destroy());
}
