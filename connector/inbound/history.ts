// The history WhatsApp sends a newly linked device (messaging-history.set: the initial bootstrap and recent
// chunks; FULL history is refused in socket-options.ts). Its contacts and LID↔phone mappings are always
// recorded, first, so that its messages join their contacts; its messages become inbound_messages with
// imported = true (CRM automations skip them) when the user's history import setting is on, read as each
// chunk arrives. A message that was already stored live stays as it is (the upsert answers 'duplicate').
// The phone sends the bootstrap and then RECENT chunks (each downloaded by Baileys, so their events may overlap):
// one session's chunks are imported one after the other, in the order they arrived.
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.ts';
import type { EffectiveSettings } from '../settings/index.ts';
import { isLeaseLostError } from '../store/index.ts';
import type { SessionConnection } from '../whatsapp/index.ts';
import type { InboundRecorder } from './recorder.ts';

export interface HistoryImportDeps {
  recorder: InboundRecorder;
  settings: { forUser(userId: string): Promise<EffectiveSettings> };
  logger: Logger;
  metrics: Metrics;
}

export class HistoryImporter {
  /** the last chunk import of each session (settled: its outcome was handed to its caller) */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly deps: HistoryImportDeps) {}

  onHistory(conn: SessionConnection, history: BaileysEventMap['messaging-history.set']): Promise<void> {
    const previous = this.tails.get(conn.sessionId) ?? Promise.resolve();
    const run = previous.then(() => this.importChunk(conn, history));
    const tail = run.catch(() => {});
    this.tails.set(conn.sessionId, tail);
    void tail.then(() => {
      if (this.tails.get(conn.sessionId) === tail) this.tails.delete(conn.sessionId);
    });
    return run;
  }

  private async importChunk(conn: SessionConnection, history: BaileysEventMap['messaging-history.set']): Promise<void> {
    const { recorder, settings, logger, metrics } = this.deps;
    await recorder.onContactEvent(conn, { type: 'messaging-history.set', history });
    const log = { session: conn.sessionId, syncType: history.syncType, chunkOrder: history.chunkOrder, progress: history.progress, messages: history.messages.length };
    if (!(await settings.forUser(conn.userId)).historyImport) {
      logger.info(log, 'history sync: contacts recorded, messages not imported (history import is off)');
      metrics.historyChunks.inc({ imported: 'no' });
      return;
    }
    const counts = { inserted: 0, resolved: 0, duplicate: 0, skipped: 0, failed: 0 };
    for (const msg of history.messages) {
      try {
        const outcome = await recorder.record(conn, msg, true);
        counts[outcome ?? 'skipped']++;
      } catch (err) {
        if (isLeaseLostError(err)) throw err;
        // one message that cannot be stored must not cost the rest of the chunk
        counts.failed++;
        logger.warn({ err, session: conn.sessionId, message: msg.key.id }, 'history sync: a message could not be imported');
      }
    }
    metrics.historyImported.inc(counts.inserted + counts.resolved);
    metrics.historyChunks.inc({ imported: 'yes' });
    logger.info({ ...log, ...counts }, 'history sync imported');
  }
}
