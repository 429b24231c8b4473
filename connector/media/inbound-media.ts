// Keeps inbound media: every image, video, audio, voice note, document and sticker is downloaded when it
// arrives (WhatsApp's CDN drops files after a few weeks) and stored in the private bucket at
// <user_id>/<session_id>/<wa_message_id>.<ext>. The queue is inbound_messages itself (claim_inbound_media):
// downloads run beside message handling, at most MEDIA_DOWNLOAD_CONCURRENCY at once, so they never hold
// text messages back; a failure is retried with back-off (a crash leaves a claim that lapses and is taken
// again), an expired file is asked for again from the phone (download.ts), and the per-user size cap
// (settings.mediaMaxBytes) ends larger files as too_large with their metadata kept.
import { pipeline } from 'node:stream/promises';
import { fileTypeStream } from 'file-type';
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import type { SettingsCache } from '../settings/index.ts';
import type { MediaJob, MediaStore } from '../store/index.ts';
import type { SessionConnection } from '../whatsapp/index.ts';
import { extensionFor, inboundObjectPath, type MediaSource } from './describe.ts';
import { httpStatusOf, mediaDispatcher, openInboundMedia, ReuploadFailedError } from './download.ts';
import { MediaStorageError, type MediaStorage } from './storage.ts';
import { MediaIntegrityError, MediaTooLargeError, verifyingStream } from './verify-stream.ts';

type MediaConfig = NonNullable<ConnectorConfig['media']>;

export interface InboundMediaDeps {
  config: MediaConfig;
  connectorId: string;
  simulatorCa: string | null;
  store: MediaStore;
  storage: MediaStorage;
  settings: SettingsCache;
  logger: Logger;
  /** open sessions this connector holds */
  openSessions(): SessionConnection[];
  connection(sessionId: string): SessionConnection | undefined;
  onStored?(bytes: number): void;
}

type Outcome =
  | { kind: 'stored'; path: string; bytes: number; mimeType: string }
  | { kind: 'final'; state: 'failed' | 'expired' | 'too_large'; error: string }
  | { kind: 'retry'; error: string };

/** MIME type without parameters, lower case; null when there is none. */
const baseType = (mime: string | null | undefined) => mime?.split(';')[0]?.trim().toLowerCase() || null;

export class InboundMediaKeeper {
  private readonly dispatcher;
  private running = 0;
  private looping: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly deps: InboundMediaDeps) {
    this.dispatcher = mediaDispatcher(deps.simulatorCa, deps.config.downloadTimeoutMs);
  }

  /** Claims due downloads into the free slots (new media, due retries, lapsed claims); cheap to call often. */
  kick(): void {
    if (this.stopped) return;
    if (this.looping) {
      this.again = true;
      return;
    }
    this.looping = this.claimLoop()
      .catch((err) => this.deps.logger.warn({ err }, 'claiming media downloads failed; the next sweep retries'))
      .finally(() => {
        this.looping = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async claimLoop(): Promise<void> {
    const { config, connectorId, store } = this.deps;
    for (;;) {
      const free = config.downloadConcurrency - this.running;
      const sessions = this.deps.openSessions().map((c) => c.sessionId);
      if (free <= 0 || sessions.length === 0 || this.stopped) return;
      const jobs = await store.claim(connectorId, sessions, free, config.claimTtlMs);
      for (const job of jobs) this.start(job);
      if (jobs.length < free) return;
    }
  }

  private start(job: MediaJob): void {
    this.running += 1;
    const work = this.process(job)
      .catch((err) => this.deps.logger.warn({ err, message: job.wa_message_id }, 'media download bookkeeping failed; the claim lapses and it is retried'))
      .finally(() => {
        this.running -= 1;
        this.active.delete(work);
        this.kick();
      });
    this.active.add(work);
  }

  private async process(job: MediaJob): Promise<void> {
    const { store, connectorId, config, logger } = this.deps;
    const log = logger.child({ session: job.session_id, message: job.wa_message_id, kind: job.media_kind });
    let source = job.media_source;
    const outcome = await this.download(job, (updated) => { source = updated; });
    if (outcome.kind === 'stored') {
      await store.stored(job.id, connectorId, outcome.path, outcome.bytes, outcome.mimeType);
      this.deps.onStored?.(outcome.bytes);
      log.debug({ path: outcome.path, bytes: outcome.bytes }, 'media stored');
    } else if (outcome.kind === 'final') {
      await store.fail(job.id, connectorId, outcome.state, outcome.error);
      log.info({ state: outcome.state, error: outcome.error }, 'media not kept');
    } else if (job.media_attempts >= config.maxAttempts) {
      await store.fail(job.id, connectorId, 'failed', `gave up after ${job.media_attempts} attempts: ${outcome.error}`);
      log.warn({ error: outcome.error }, 'media download failed for good');
    } else {
      const delay = config.retryBaseMs * 2 ** (job.media_attempts - 1);
      await store.retry(job.id, connectorId, delay, outcome.error, source === job.media_source ? null : source);
      log.info({ error: outcome.error, delay }, 'media download failed; retrying');
    }
  }

  private async download(job: MediaJob, onReupload: (s: MediaSource) => void): Promise<Outcome> {
    const source = job.media_source;
    if (!source) return { kind: 'final', state: 'failed', error: 'the message carries no media key or path to download the file' };
    const conn = this.deps.connection(job.session_id);
    if (!conn?.sock || !conn.open) return { kind: 'retry', error: 'the session is not connected' };
    const { mediaMaxBytes } = await this.deps.settings.forUser(job.user_id);
    const declared = job.media_size_bytes === null ? null : Number(job.media_size_bytes);
    if (declared !== null && declared > mediaMaxBytes) {
      return { kind: 'final', state: 'too_large', error: `the file is ${declared} bytes; the cap is ${mediaMaxBytes}` };
    }
    try {
      const body = await openInboundMedia(conn.sock, source, {
        dispatcher: this.dispatcher, logger: this.deps.logger, reuploadTimeoutMs: this.deps.config.retryRequestTimeoutMs, onReupload,
      });
      const checked = verifyingStream({ fileSha256: source.fileSha256, fileLength: source.fileLength, maxBytes: mediaMaxBytes });
      const sniffing = fileTypeStream(checked, { sampleSize: 4100 });
      const piping = pipeline(body, checked);
      piping.catch(() => {}); // awaited below; a failure before the sniff settles must not go unhandled
      const sniffed = await sniffing;
      // What the bytes are wins over what the sender declared (a renamed executable is stored as one).
      const mimeType = sniffed.fileType?.mime ?? baseType(job.media_mime_type) ?? 'application/octet-stream';
      const ext = extensionFor(job.media_kind, sniffed.fileType ? mimeType : job.media_mime_type, job.media_file_name, sniffed.fileType?.ext);
      const path = inboundObjectPath(job.user_id, job.session_id, job.wa_message_id, ext);
      await Promise.all([this.deps.storage.put(path, sniffed, mimeType), piping]);
      return { kind: 'stored', path, bytes: checked.bytes, mimeType };
    } catch (error) {
      return this.classify(error);
    }
  }

  private classify(error: unknown): Outcome {
    const message = (error as Error)?.message ?? String(error);
    if (error instanceof MediaTooLargeError) return { kind: 'final', state: 'too_large', error: message };
    if (error instanceof ReuploadFailedError && error.gone) {
      return { kind: 'final', state: 'expired', error: `WhatsApp no longer has the file and the phone could not upload it again: ${message}` };
    }
    if (error instanceof MediaStorageError && error.status === 413) {
      return { kind: 'final', state: 'too_large', error: `Storage refused the file as larger than its upload limit: ${message}` };
    }
    if (error instanceof MediaIntegrityError) return { kind: 'retry', error: `integrity check failed: ${message}` };
    const status = httpStatusOf(error);
    return { kind: 'retry', error: status ? `the media host answered ${status}: ${message}` : message };
  }

  /** Stops claiming; waits (bounded) for the downloads in flight. Unfinished claims lapse and are retried. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    await Promise.race([Promise.allSettled([...this.active]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.dispatcher.close().catch(() => {});
  }
}
