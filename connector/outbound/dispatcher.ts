// Outbound delivery: claim due rows (SKIP LOCKED, only sessions this connector holds), one ordered
// and paced queue per session, sendMessage with the row-derived WhatsApp id, then sent / retry / failed.
// Delivery and read receipts move rows on from messages.update (handleReceipts).
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { EffectiveSettings, SettingsCache } from '../settings/index.ts';
import type { OutboundRow, Store } from '../store/index.ts';
import type { ConfirmedIds, SessionConnection } from '../whatsapp/index.ts';
import { contentForRow, type ContentDeps } from './content.ts';
import { paceDelay } from './pacing.ts';
import { normalizeRecipient } from './recipient.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DispatcherDeps {
  config: ConnectorConfig;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  connection(sessionId: string): SessionConnection | undefined;
  openSessionIds(): string[];
  /** what WhatsApp confirmed having (server acks and receipts, read from raw frames) */
  confirmed: ConfirmedIds;
  /** per-user pacing, default country, typing indicator, paused */
  settings: SettingsCache;
  /** where media rows' files come from (outbound/content.ts) */
  content: ContentDeps;
  /** a row reached WhatsApp (acked): its recipient's contact is recorded beside the send path */
  onSent?(conn: SessionConnection, messageId: string, phone: string, jid: string): void;
}

/** Longest pause pacing can ask for (min_interval_ms and jitter_ms are each at most an hour, see messaging_config_problems). */
const MAX_PACE_MS = 2 * 3_600_000;

/** A session's rows waiting to be sent, and when it last sent: kept while idle, so a row claimed after the
 * queue drained is still paced against the previous send. */
class SessionQueue {
  readonly rows: OutboundRow[] = [];
  running = false;
  lastSendAt = 0;
}

export class OutboundDispatcher {
  private readonly queues = new Map<string, SessionQueue>();
  /** Rows claimed by this connector and held in memory → when their claim expires (local clock). */
  private readonly inFlight = new Map<string, number>();
  private readonly processing = new Set<string>();
  private readonly onWhatsApp = new Map<string, { exists: boolean; at: number }>();
  private stopped = false;
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  private readonly renewTimer: NodeJS.Timeout;

  constructor(private readonly deps: DispatcherDeps) {
    // Rows waiting in a paced queue keep their claim (renew_outbound_claims), so nobody reclaims them.
    const every = Math.max(200, Math.floor(deps.config.outbound.claimTtlMs / 3));
    this.renewTimer = setInterval(() => this.renew(), every);
    this.renewTimer.unref();
  }

  get backlog() {
    return this.inFlight.size;
  }

  private renew(): void {
    const { config, store, logger } = this.deps;
    // Entries neither queued nor being sent must not hold a slot (and keep their claim alive) forever.
    const live = new Set(this.processing);
    for (const q of this.queues.values()) for (const r of q.rows) live.add(r.id);
    for (const id of this.inFlight.keys()) if (!live.has(id)) this.inFlight.delete(id);
    for (const [sessionId, q] of this.queues) {
      if (!q.running && q.rows.length === 0 && Date.now() - q.lastSendAt > MAX_PACE_MS) this.queues.delete(sessionId);
    }
    const ids = [...this.inFlight.keys()];
    if (ids.length === 0) return;
    const startedAt = Date.now();
    store.messages.renewClaims(config.connectorId, ids, config.outbound.claimTtlMs)
      .then(() => {
        for (const id of ids) if (this.inFlight.has(id)) this.inFlight.set(id, startedAt + config.outbound.claimTtlMs);
      })
      .catch((err) => logger.warn({ err }, 'renewing outbound claims failed'));
  }

  /**
   * Claims due rows while there is room in memory; idempotent and safe to call on every doorbell ring.
   * A call while a claim runs makes that claim go round once more (a row committed meanwhile is not missed)
   * and returns at once: under a steady flow the claim keeps going round, and the caller (the sweep that
   * also resumes sessions after a take-over) must not wait for it.
   */
  sweep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.claiming) {
      this.claimAgain = true;
      return Promise.resolve();
    }
    this.claiming = (async () => {
      const { config, store } = this.deps;
      do {
        this.claimAgain = false;
        while (!this.stopped && this.inFlight.size < config.outbound.batchSize) {
          const startedAt = Date.now();
          const rows = await store.messages.claimOutbound(config.connectorId, this.deps.openSessionIds(),
            config.outbound.batchSize - this.inFlight.size, config.outbound.claimTtlMs);
          for (const row of rows) this.enqueue(row, startedAt + config.outbound.claimTtlMs);
          if (rows.length === 0) break;
        }
      } while (this.claimAgain && !this.stopped);
    })().finally(() => {
      this.claiming = null;
    });
    return this.claiming;
  }

  private enqueue(row: OutboundRow, claimExpiresAt: number): void {
    if (this.inFlight.has(row.id)) return; // our own claim renewed while the row waits in its queue
    this.inFlight.set(row.id, claimExpiresAt);
    let queue = this.queues.get(row.session_id);
    if (!queue) this.queues.set(row.session_id, (queue = new SessionQueue()));
    queue.rows.push(row);
    if (!queue.running) void this.drain(row.session_id, queue);
  }

  private async drain(sessionId: string, queue: SessionQueue): Promise<void> {
    queue.running = true;
    try {
      while (queue.rows.length && !this.stopped) {
        // Read per row: a settings change applies to the next send of a queue that is already draining.
        const settings = await this.deps.settings.forUser(queue.rows[0]!.user_id);
        if (!settings.active) {
          await this.giveBackPaused(sessionId, queue);
          break;
        }
        const wait = paceDelay(queue.lastSendAt, settings.pacing, Date.now());
        if (wait > 0) {
          if (settings.typingIndicator) this.showTyping(queue.rows[0]!, settings);
          await sleep(wait);
        }
        const row = queue.rows.shift();
        if (!row) continue;
        if ((this.inFlight.get(row.id) ?? 0) <= Date.now()) {
          // Our claim may have lapsed (renewals failed, e.g. Postgres restarting): leave the row and the
          // rows behind it (per-recipient order) to the claim functions, which reclaim expired claims.
          const dropped = [row, ...queue.rows.splice(0)];
          for (const r of dropped) this.inFlight.delete(r.id);
          this.deps.logger.warn({ rows: dropped.length, session: sessionId }, 'outbound claims lapsed in memory; leaving them to be reclaimed');
          continue;
        }
        this.processing.add(row.id);
        try {
          await this.process(row, settings);
        } catch (error) {
          this.deps.logger.error({ err: error, message: row.id }, 'outbound row processing failed');
        } finally {
          this.processing.delete(row.id);
          this.inFlight.delete(row.id);
        }
        queue.lastSendAt = Date.now();
      }
    } finally {
      queue.running = false;
    }
    if (queue.rows.length && !this.stopped) void this.drain(sessionId, queue);
    else if (!this.stopped) void this.sweep().catch(() => {});
  }

  /** "typing…" to the recipient while a paced send waits (best effort: WhatsApp clears it when the message arrives). */
  private showTyping(row: OutboundRow, settings: EffectiveSettings): void {
    const conn = this.deps.connection(row.session_id);
    const recipient = normalizeRecipient(row.recipient, settings.defaultCountry);
    if (!conn?.open || !conn.sock || !recipient.ok) return;
    conn.sock.sendPresenceUpdate('composing', recipient.jid)
      .catch((err) => this.deps.logger.debug({ err, message: row.id }, 'typing indicator not sent'));
  }

  /** The user paused sending: the session's queued rows go back untried; claims skip the session until resumed. */
  private async giveBackPaused(sessionId: string, queue: SessionQueue): Promise<void> {
    const rows = queue.rows.splice(0);
    for (const r of rows) this.inFlight.delete(r.id);
    const owner = this.deps.config.connectorId;
    await Promise.all(rows.map((r) => this.deps.store.messages.giveBack(r.id, owner)
      .catch((err) => this.deps.logger.warn({ err, message: r.id }, 'giving back a paused row failed; its claim expires instead'))));
    this.deps.logger.info({ session: sessionId, rows: rows.length }, 'sending paused by the user: rows left queued');
  }

  private async process(row: OutboundRow, settings: EffectiveSettings): Promise<void> {
    const { config, store, metrics, logger } = this.deps;
    const owner = config.connectorId;
    const conn = this.deps.connection(row.session_id);
    if (!conn || conn.ended || !conn.open || !conn.sock) {
      await this.requeue(row, 1000, 'session_not_ready', 'The WhatsApp session is not connected yet');
      return;
    }
    const recipient = normalizeRecipient(row.recipient, settings.defaultCountry);
    if (!recipient.ok) {
      await this.fail(row, recipient.code, recipient.reason);
      return;
    }
    if (row.attempts > 1) {
      // A previous attempt may have reached WhatsApp before its socket closed or its connector died: wait
      // for the receipts WhatsApp kept for us while we were away, then check before sending the same id again.
      await Promise.race([conn.offlineDrained(), sleep(3000)]);
      if (this.deps.confirmed.has(row.session_id, row.wa_message_id)) {
        metrics.retried.inc({ code: 'already_confirmed' });
        await this.markSent(row, recipient.jid);
        return;
      }
      if (!(await store.messages.stillClaimed(row.id, owner))) return;
    }
    try {
      if (!(await this.existsOnWhatsApp(conn, recipient.jid))) {
        await this.fail(row, 'not_on_whatsapp', `${recipient.e164} is not on WhatsApp`);
        return;
      }
      const sock = conn.sock;
      if (!sock || !conn.open) throw new Error('connection closed before sending');
      const built = await contentForRow(this.deps.content, row, recipient.jid);
      if (!built.ok) {
        if (built.final) await this.fail(row, built.code, built.reason);
        else throw new Error(built.reason);
        return;
      }
      // `sent` only once WhatsApp acked the id (sendMessage resolves when the frame is written, not received).
      const acks = conn.acks;
      const acked = acks.wait(row.wa_message_id);
      acked.catch(() => {}); // awaited below; a close before sendMessage settles must not be unhandled
      try {
        const sending = sock.sendMessage(recipient.jid, built.content, built.options);
        await withTimeout(Promise.all([sending, acked]), config.outbound.sendTimeoutMs);
      } finally {
        built.close();
        acks.forget(row.wa_message_id);
      }
      metrics.sendLatency.observe((Date.now() - new Date(row.created_at).getTime()) / 1000);
      metrics.sent.inc();
      conn.touch();
      await this.markSent(row, recipient.jid);
      this.deps.onSent?.(conn, row.id, recipient.e164, recipient.jid);
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (row.attempts >= config.outbound.maxAttempts) {
        await this.fail(row, 'send_failed', `gave up after ${row.attempts} attempts: ${message}`);
        return;
      }
      const delay = config.outbound.retryBaseMs * 2 ** Math.max(0, row.attempts - 1);
      metrics.retried.inc({ code: 'send_error' });
      logger.warn({ message: row.id, err: error, delay }, 'send failed, will retry');
      await this.requeue(row, delay, 'send_error', message);
    }
  }

  /**
   * Transient failure: the row goes back to the queue, and so do the rows queued behind it in this
   * session (same delay), so that per-recipient order survives retries.
   */
  private async requeue(row: OutboundRow, delayMs: number, code: string, reason: string): Promise<void> {
    const owner = this.deps.config.connectorId;
    const behind = this.queues.get(row.session_id)?.rows.splice(0) ?? [];
    // Out of memory first: if the database is unreachable these rows are reclaimed once their claims expire.
    for (const later of behind) this.inFlight.delete(later.id);
    const results = await Promise.allSettled([
      this.deps.store.messages.retry(row.id, owner, delayMs, code, reason),
      ...behind.map((later) => this.deps.store.messages
        .retry(later.id, owner, delayMs, 'requeued', 'An earlier message to this session is being retried')),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * WhatsApp has the message: keep trying to record it (Postgres may be restarting). mark_outbound_sent
   * only needs the row still claimed by us, not an unexpired claim, and while the row is in flight here
   * our own sweeps do not queue it again; giving up early would mean resending the same id.
   */
  private async markSent(row: OutboundRow, recipientJid: string): Promise<void> {
    const owner = this.deps.config.connectorId;
    const until = Date.now() + Math.max(60_000, this.deps.config.outbound.claimTtlMs);
    for (;;) {
      try {
        await this.deps.store.messages.markSent(row.id, owner, recipientJid);
        return;
      } catch (error) {
        if (this.stopped || Date.now() >= until) throw error;
        this.deps.logger.warn({ err: error, message: row.id }, 'marking a row sent failed; trying again');
        await sleep(250);
      }
    }
  }

  private async fail(row: OutboundRow, code: string, reason: string): Promise<void> {
    this.deps.metrics.failed.inc({ code });
    await this.deps.store.messages.fail(row.id, this.deps.config.connectorId, code, reason);
  }

  private async existsOnWhatsApp(conn: SessionConnection, jid: string): Promise<boolean> {
    const ttl = this.deps.config.outbound.onWhatsAppCacheTtlMs;
    const key = `${conn.sessionId}/${jid}`;
    const cached = this.onWhatsApp.get(key);
    if (cached && Date.now() - cached.at < ttl) return cached.exists;
    const result = await conn.sock!.onWhatsApp(jid);
    const exists = Boolean(result?.some((r) => r.exists));
    if (this.onWhatsApp.size > 50_000) this.onWhatsApp.clear();
    this.onWhatsApp.set(key, { exists, at: Date.now() });
    return exists;
  }

  /** messages.update: delivery (3) and read (4, played 5) receipts for messages we sent. */
  async handleReceipts(conn: SessionConnection, updates: BaileysEventMap['messages.update']): Promise<void> {
    for (const { key, update } of updates) {
      if (!key.fromMe || !key.id || typeof update.status !== 'number') continue;
      if (update.status >= 2) conn.acks.settle(key.id); // a server ack or receipt: WhatsApp has it
      const status = update.status >= 4 ? 'read' : update.status === 3 ? 'delivered' : null;
      if (status) await this.deps.store.messages.recordReceipt(conn.sessionId, key.id, status);
    }
  }

  /**
   * Stops taking rows, waits (up to graceMs) for the sends in progress, and gives the rows still waiting
   * in queues back (queued, due now) so the next connector does not wait for their claims to expire.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewTimer);
    const waiting = [...this.queues.values()].flatMap((q) => q.rows.splice(0));
    const until = Date.now() + graceMs;
    while ([...this.queues.values()].some((q) => q.running) && Date.now() < until) await sleep(25);
    const owner = this.deps.config.connectorId;
    await Promise.all(waiting.map((row) => this.deps.store.messages
      .retry(row.id, owner, 0, 'requeued', 'The connector shut down before sending; another one will send it')
      .catch(() => false)));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sendMessage timed out after ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
