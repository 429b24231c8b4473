// An inbound file as a stream of its decrypted bytes, through Baileys' downloadMediaMessage (streamed, never
// the whole file in memory). A 404/410 from the CDN (WhatsApp dropped the file) makes Baileys ask the phone to
// upload it again (our media-retry request, with a time limit); stock rc14 never does (Baileys#2767), the
// `media-reupload-on-expiry` load-time patch (whatsapp/baileys-patches) fixes that.
import type { Readable } from 'node:stream';
import { downloadMediaMessage } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { Agent } from 'undici';
import type { WASocket } from '../whatsapp/socket-options.ts';
import { messageFromSource, type MediaSource } from './describe.ts';
import { requestReupload } from './media-retry.ts';

/** The phone answered the media-retry request without the file (gone: it no longer has it). */
export class ReuploadFailedError extends Error {
  constructor(readonly gone: boolean, reason: string) {
    super(reason);
    this.name = 'ReuploadFailedError';
  }
}

/**
 * The HTTP client for media downloads: connection and idle timeouts; in simulator mode it trusts the
 * simulator's media CA (and only this client does).
 */
export function mediaDispatcher(simulatorCa: string | null, timeoutMs: number): Agent {
  return new Agent({
    connect: { timeout: timeoutMs, ...(simulatorCa ? { ca: simulatorCa } : {}) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

export interface DownloadOptions {
  dispatcher: Agent;
  logger: Logger;
  reuploadTimeoutMs: number;
  /** the phone uploaded the file again: its new direct path (kept, so a later retry does not ask again) */
  onReupload(source: MediaSource): void;
}

/** Status of a Baileys HTTP failure (a Boom: output.statusCode), if it is one. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { output?: { statusCode?: unknown } } | null)?.output?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export async function openInboundMedia(sock: WASocket, source: MediaSource, opts: DownloadOptions): Promise<Readable> {
  const message = messageFromSource(source);
  const reuploadRequest = async (msg: typeof message) => {
    const answer = await requestReupload(sock, source, opts.reuploadTimeoutMs);
    if (!answer.ok) throw new ReuploadFailedError(answer.gone, answer.reason);
    const host = source.url ? new URL(source.url).host : null;
    const updated: MediaSource = { ...source, directPath: answer.directPath, url: host ? `https://${host}${answer.directPath}` : source.url };
    const content = (msg.message as Record<string, { directPath?: string; url?: string }>)[source.field]!;
    content.directPath = updated.directPath!;
    if (updated.url) content.url = updated.url;
    opts.onReupload(updated);
    return msg;
  };
  const stream = await downloadMediaMessage(message, 'stream', { options: { dispatcher: opts.dispatcher } as never },
    { logger: opts.logger as never, reuploadRequest });
  return stream as Readable;
}
