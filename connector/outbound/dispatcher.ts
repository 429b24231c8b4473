// Outbound delivery: claim due rows (SKIP LOCKED, only sessions this connector holds), one ordered
// and paced queue per session, sendMessage with the row-derived WhatsApp id, then sent / retry / failed.
// Sends are pipelined: the next row of a session goes out once the previous frame is written, without
// waiting for WhatsApp's ack (up to pipelineDepth unacked); order holds because one socket writes the
// frames in order, and a failed send stops the rows taken after it from going out ahead of its retry: they go
// back with it, and the session claims nothing until every row it had in hand is back (SessionQueue.hold).
// Acked rows and receipts are written in batches (one statement for many: batcher.ts).
// Delivery and read receipts move rows on from messages.update (handleReceipts).
import type { BaileysEventMap, WAMessage } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { EffectiveSettings, SettingsCache } from '../settings/index.ts';
import { isRepAction, type OutboundReceipt, type OutboundRow, type Store } from '../store/index.ts';
import { sentContentJson, type ConfirmedIds, type SessionConnection } from '../whatsapp/index.ts';
import { QUERY_DEADLINE_MS } from '../store/db.ts';
import { Batcher } from './batcher.ts';
import { contentForRow, keepsSentContent, type ContentDeps } from './content.ts';
import { OnWhatsAppCache } from './on-whatsapp.ts';
import { paceDelay } from './pacing.ts';
import { isReadReceipt, sendReadReceipt } from './read-receipt.ts';
import { receiptsOf } from './receipts.ts';
import { SessionQueue, sleep, untilWritten, withTimeout } from './session-queue.ts';
import { recipientOfRow } from './recipient.ts';
import { showTyping } from './typing.ts';

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
  restrictions?: import('./restrictions.ts').AccountRestrictions; // the reachout time-lock: new contacts wait
  /** a row reached WhatsApp (acked): its recipient's contact is recorded beside the send path */
  onSent?(conn: SessionConnection, messageId: string, phone: string, jid: string): void;
}

/** Longest pause pacing can ask for (min_interval_ms and jitter_ms are each at most an hour, see messaging_config_problems). */
const MAX_PACE_MS = 2 * 3_600_000;

export class OutboundDispatcher {
  private readonly queues = new Map<string, SessionQueue>();
  /** Rows claimed by this connector and held in memory → when their claim expires (local clock). */
  private readonly inFlight = new Map<string, number>();
  private readonly processing = new Set<string>();
  private readonly onWhatsApp: OnWhatsAppCache;
  private stopped = false;
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  /** Due rows may be left (the last claim returned rows, or asked for less than a batch: memory was full, or its
   * `ready` step dropped rows it picked), so a queue that drains claims again; a full-batch claim that came back empty clears it. */
  private maybeLeft = false;
  private readonly renewTimer: NodeJS.Timeout;
  private readonly sentRows: Batcher<{ id: string; recipientJid: string }, boolean>;
  private readonly receipts: Batcher<OutboundReceipt, void>;

  constructor(private readonly deps: DispatcherDeps) {
    this.onWhatsApp = new OnWhatsAppCache(deps.config.outbound.onWhatsAppCacheTtlMs);
    const owner = deps.config.connectorId;
    this.sentRows = new Batcher(async (rows) => {
      const moved = await deps.store.messages.markSentMany(owner, rows);
      return rows.map((r) => moved.has(r.id));
    });
    this.receipts = new Batcher(async (items) => {
      await deps.store.messages.recordReceipts(items);
      return items.map(() => undefined);
    });
    // Rows waiting in a paced queue keep their claim (renew_outbound_claims), so nobody reclaims them.
    const every = Math.max(200, Math.floor(deps.config.outbound.claimTtlMs / 3));
    this.renewTimer = setInterval(() => this.renew(), every);
    this.renewTimer.unref();
  }

  get backlog() { return this.inFlight.size; }

  private renew(): void {
    const { config, store, logger } = this.deps;
    // Entries neither queued nor being sent must not hold a slot (and keep their claim alive) forever.
    const live = new Set(this.processing);
    for (const q of this.queues.values()) for (const r of q.rows) live.add(r.id);
    for (const id of this.inFlight.keys()) if (!live.has(id)) this.inFlight.delete(id);
    for (const [sessionId, q] of this.queues) {
      if (!q.running && q.rows.length === 0 && q.unacked === 0 && Date.now() - q.lastSendAt > MAX_PACE_MS) this.queues.delete(sessionId);
    }
    const ids = [...this.inFlight.keys()];
    if (ids.length === 0) return;
    const startedAt = Date.now();
    store.messages.renewClaims(config.connectorId, ids, config.outbound.claimTtlMs)
      .then((renewed) => { // only what the database extended: a skipped (locked) row keeps its old deadline
        for (const id of renewed) if (this.inFlight.has(id)) this.inFlight.set(id, startedAt + config.outbound.claimTtlMs);
      })
      .catch((err) => logger.warn({ err }, 'renewing outbound claims failed'));
  }

  /** Claims due rows while there is room in memory; idempotent and safe to call on every doorbell ring. A call while
   * a claim runs makes that claim go round once more (a row committed meanwhile is not missed) and returns at once:
   * under a steady flow the claim keeps going round, and the caller (the sweep that also resumes sessions after a
   * take-over) must not wait for it. */
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
          const sessionIds = this.deps.openSessionIds().filter((id) => !this.queues.get(id)?.held(startedAt));
          if (sessionIds.length === 0) break; // no open session to claim for: no statement
          const epochs = new Map(sessionIds.map((id) => [id, this.queues.get(id)?.holdEpoch ?? 0]));
          const asked = config.outbound.batchSize - this.inFlight.size;
          const rows = await store.messages.claimOutbound(config.connectorId, sessionIds, asked, config.outbound.claimTtlMs);
          this.deps.metrics.claims.inc({ rows: rows.length === 0 ? 'none' : rows.length < asked ? 'fewer' : 'all' });
          for (const row of rows) this.enqueue(row, startedAt + config.outbound.claimTtlMs, epochs.get(row.session_id) ?? 0);
          this.maybeLeft = rows.length > 0 || asked < config.outbound.batchSize; // a short ask may be all dropped
          if (rows.length < asked) break; // all due rows taken: no empty claim after it (connector/README.md "Outbound")
        }
      } while (this.claimAgain && !this.stopped);
    })().finally(() => {
      this.claiming = null;
    });
    return this.claiming;
  }

  private enqueue(row: OutboundRow, claimExpiresAt: number, holdEpoch: number): void {
    if (this.inFlight.has(row.id)) return; // our own claim renewed while the row waits in its queue
    let queue = this.queues.get(row.session_id);
    if (!queue) this.queues.set(row.session_id, (queue = new SessionQueue()));
    if (queue.holdEpoch !== holdEpoch) { // claimed while this session's rows went back: it waits for the next claim, in order
      this.deps.store.messages.giveBack(row.id, this.deps.config.connectorId).catch((err) => {
        queue.hold(Date.now() + this.deps.config.outbound.claimTtlMs + QUERY_DEADLINE_MS);
        this.deps.logger.warn({ err, message: row.id }, 'giving back a row claimed during a retry failed; its claim expires instead');
      });
      return;
    }
    this.inFlight.set(row.id, claimExpiresAt);
    queue.rows.push(row);
    if (!queue.running) void this.drain(row.session_id, queue);
  }

  private async drain(sessionId: string, queue: SessionQueue): Promise<void> {
    queue.running = true;
    const depth = this.deps.config.outbound.pipelineDepth;
    try {
      while (queue.rows.length && !this.stopped) {
        if (queue.unacked >= depth) {
          await queue.room();
          continue;
        }
        // Read per row: a settings change applies to the next send of a queue that is already draining.
        const settings = await this.deps.settings.forUser(queue.rows[0]!.user_id);
        if (!settings.active) {
          await this.giveBackPaused(sessionId, queue);
          break;
        }
        const wait = isReadReceipt(queue.rows[0]!) ? 0 : paceDelay(queue.lastSendAt, settings.pacing, Date.now());
        if (wait > 0) {
          if (settings.typingIndicator) showTyping(this.deps.connection(queue.rows[0]!.session_id), queue.rows[0]!, settings, this.deps.logger);
          await sleep(wait);
        }
        const row = queue.rows.shift();
        if (!row) continue;
        if ((this.inFlight.get(row.id) ?? 0) <= Date.now()) {
          // Our claim may have lapsed (renewals failed or came back late): do not send on it. Give it and the
          // rows behind it back, due now, to be claimed again in order (in hand meanwhile: the session's
          // claims hold); if that fails, requeue holds them until the claims have expired.
          this.deps.logger.warn({ rows: 1 + queue.rows.length, session: sessionId }, 'outbound claims lapsed in memory; giving them back');
          this.inFlight.delete(row.id);
          queue.inHand += 1;
          await this.requeue(row, 0, 'requeued', 'The claim lapsed before sending; taken again in order')
            .catch((err) => this.deps.logger.warn({ err, session: sessionId }, 'giving back lapsed rows failed; their claims expire'))
            .finally(() => (queue.inHand -= 1));
          continue;
        }
        this.processing.add(row.id);
        queue.inHand += 1;
        let awaitingAck: Promise<void> | undefined;
        try {
          awaitingAck = (await this.process(row, settings, queue))?.finishing;
        } catch (error) {
          this.deps.logger.error({ err: error, message: row.id }, 'outbound row processing failed');
        }
        const done = () => {
          this.processing.delete(row.id);
          this.inFlight.delete(row.id);
          queue.inHand -= 1;
          // the last row in hand settled: a hold on the session's claims may have ended
          if (queue.inHand === 0 && queue.holdEnded(Date.now()) && !this.stopped) void this.sweep().catch(() => {});
        };
        if (awaitingAck) {
          queue.unacked += 1;
          void awaitingAck
            .catch((error) => this.deps.logger.error({ err: error, message: row.id }, 'outbound row processing failed'))
            .finally(() => {
              done();
              queue.acked();
              // rows were held back for room in memory: claim more once the session's queue ran dry
              if (!queue.running && this.maybeLeft && !this.stopped) void this.sweep().catch(() => {});
            });
        } else {
          done();
        }
        queue.lastSendAt = Date.now();
      }
    } finally {
      queue.running = false;
    }
    if (queue.rows.length && !this.stopped) void this.drain(sessionId, queue);
    else if (this.maybeLeft && !this.stopped) void this.sweep().catch(() => {});
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

  /** Up to the frame being written; returns the wait for WhatsApp's ack and the 'sent' mark (null: the row is done). */
  private async process(row: OutboundRow, settings: EffectiveSettings, queue: SessionQueue): Promise<{ finishing: Promise<void> } | null> {
    const generation = queue.generation;
    const { config, store, metrics, logger } = this.deps;
    const owner = config.connectorId;
    const conn = this.deps.connection(row.session_id);
    if (!conn || conn.ended || !conn.open || !conn.sock) {
      await this.requeue(row, 1000, 'session_not_ready', 'The WhatsApp session is not connected yet');
      return null;
    }
    const recipient = recipientOfRow(row, settings.defaultCountry);
    if (!recipient.ok) {
      await this.fail(row, recipient.code, recipient.reason);
      return null;
    }
    if (row.attempts > 1) {
      // A previous attempt may have reached WhatsApp before its socket closed or its connector died: wait
      // for the receipts WhatsApp kept for us while we were away, then check before sending the same id again.
      await Promise.race([conn.offlineDrained(), sleep(3000)]);
      if (this.deps.confirmed.has(row.session_id, row.wa_message_id)) {
        metrics.retried.inc({ code: 'already_confirmed' });
        await this.markSent(row, recipient.jid);
        return null;
      }
      if (!(await store.messages.stillClaimed(row.id, owner))) return null;
    }
    try {
      if (isReadReceipt(row)) { // not a message: no ack to wait for (read-receipt.ts)
        await withTimeout(sendReadReceipt(conn.sock, store, row), config.outbound.sendTimeoutMs);
        await this.markSent(row, recipient.jid);
        return null;
      }
      // a LID-addressed row answers a contact who wrote to us: an existing chat, on WhatsApp (no USync by LID)
      if (recipient.e164 !== null && await this.deps.restrictions?.hold(conn, row, recipient.e164)) return null;
      if (recipient.e164 !== null && !(await this.onWhatsApp.exists(conn, recipient.jid))) {
        await this.fail(row, 'not_on_whatsapp', `${recipient.e164} is not on WhatsApp`);
        return null;
      }
      const sock = conn.sock;
      if (!sock || !conn.open) throw new Error('connection closed before sending');
      const built = await contentForRow(this.deps.content, row, recipient.jid);
      if (!built.ok) {
        if (built.final) await this.fail(row, built.code, built.reason);
        else throw new Error(built.reason);
        return null;
      }
      if (queue.generation !== generation) {
        // A send of this session failed while this row was being prepared: it goes after that retry.
        await this.requeue(row, 0, 'requeued', 'An earlier message to this session is being retried');
        return null;
      }
      // `sent` only once WhatsApp acked the id (sendMessage resolves when the frame is written, not received).
      const acks = conn.acks;
      const acked = acks.wait(row.wa_message_id);
      acked.catch(() => {}); // awaited by the returned promise; a close before that must not be unhandled
      let sent: WAMessage | undefined;
      try {
        sent = await withTimeout(sock.sendMessage(recipient.jid, built.content, built.options), config.outbound.sendTimeoutMs);
      } catch (error) {
        acks.forget(row.wa_message_id);
        throw error;
      } finally {
        built.close();
      }
      // Kept before the row is marked sent, for a retry receipt that reaches a later socket (getMessage).
      if (sent?.message && keepsSentContent(row)) {
        await store.messages.recordSentContent(row.id, owner, sentContentJson(sent.message)).catch((err) =>
          this.deps.logger.warn({ err, message: row.id }, 'keeping the sent content failed; a later retry cannot resend it'));
      }
      return { finishing: this.afterSend(row, conn, recipient, acked, queue) };
    } catch (error) {
      await this.sendFailed(row, error, queue);
      return null;
    }
  }

  private async afterSend(row: OutboundRow, conn: SessionConnection, recipient: { e164: string | null; jid: string },
    acked: Promise<void>, queue: SessionQueue): Promise<void> {
    const { config, metrics } = this.deps;
    try {
      await withTimeout(acked, config.outbound.sendTimeoutMs);
    } catch (error) {
      conn.acks.forget(row.wa_message_id);
      const held = recipient.e164 !== null && await this.deps.restrictions?.hold(conn, row, recipient.e164, error);
      if (!held) await this.sendFailed(row, error, queue);
      return;
    }
    metrics.sendLatency.observe((Date.now() - new Date(row.created_at).getTime()) / 1000);
    metrics.sent.inc();
    conn.touch();
    await this.markSent(row, recipient.jid);
    if (!isRepAction(row) && recipient.e164 !== null) this.deps.onSent?.(conn, row.id, recipient.e164, recipient.jid); // an action's contact is its target's; a LID row names its own
  }

  private async sendFailed(row: OutboundRow, error: unknown, queue: SessionQueue): Promise<void> {
    const { config, metrics, logger } = this.deps;
    queue.generation += 1;
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

  /** Transient failure: the row and the rows queued behind it in this session go back (same delay): order survives retries. */
  private async requeue(row: OutboundRow, delayMs: number, code: string, reason: string): Promise<void> {
    const owner = this.deps.config.connectorId;
    const queue = this.queues.get(row.session_id);
    queue?.hold();
    const behind = queue?.rows.splice(0) ?? [];
    // Out of memory first: if the database is unreachable these rows are reclaimed once their claims expire.
    for (const later of behind) this.inFlight.delete(later.id);
    const retry = (r: OutboundRow, c: string, why: string) => this.untilWritten('putting a row back in the queue', () => this.deps.store.messages.retry(r.id, owner, delayMs, c, why));
    const results = await Promise.allSettled([retry(row, code, reason),
      ...behind.map((later) => retry(later, 'requeued', 'An earlier message to this session is being retried'))]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Still claimed by us in the database (a renewal sent earlier may even land later): nothing newer of
      // this session may be claimed before that claim has surely expired and the row is due again.
      queue?.hold(Date.now() + this.deps.config.outbound.claimTtlMs + QUERY_DEADLINE_MS);
      throw failed.reason;
    }
  }

  /**
   * WhatsApp has the message: keep trying to record it (Postgres may be restarting). mark_outbound_sent
   * only needs the row still claimed by us, not an unexpired claim, and while the row is in flight here
   * our own sweeps do not queue it again; giving up early would mean resending the same id.
   */
  private async markSent(row: OutboundRow, recipientJid: string): Promise<void> {
    await this.untilWritten('marking a row sent', () => this.sentRows.add({ id: row.id, recipientJid }));
  }

  /** Retries a write for max(60 s, claim TTL) unless stopped (Postgres may be restarting). */
  private untilWritten<T>(what: string, write: () => Promise<T>): Promise<T> {
    return untilWritten(write, Date.now() + Math.max(60_000, this.deps.config.outbound.claimTtlMs), () => this.stopped,
      (err) => this.deps.logger.warn({ err }, `${what} failed; trying again`));
  }

  private async fail(row: OutboundRow, code: string, reason: string): Promise<void> {
    this.deps.metrics.failed.inc({ code });
    await this.deps.store.messages.fail(row.id, this.deps.config.connectorId, code, reason);
  }

  /** messages.update: delivery (3) and read (4, played 5) receipts for messages we sent. */
  async handleReceipts(conn: SessionConnection, updates: BaileysEventMap['messages.update']): Promise<void> {
    await Promise.all(receiptsOf(conn, updates).map((r) => this.receipts.add(r)));
  }

  /** Stops taking rows, waits (up to graceMs) for sends in progress, gives queued rows back (due now) for the next connector. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewTimer);
    const waiting = [...this.queues.values()].flatMap((q) => q.rows.splice(0));
    const until = Date.now() + graceMs;
    while ([...this.queues.values()].some((q) => q.running || q.unacked > 0) && Date.now() < until) await sleep(25);
    const owner = this.deps.config.connectorId;
    await Promise.all(waiting.map((row) => this.deps.store.messages
      .retry(row.id, owner, 0, 'requeued', 'The connector shut down before sending; another one will send it')
      .catch(() => false)));
  }
}
