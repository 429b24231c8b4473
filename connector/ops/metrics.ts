// Prometheus metrics on an own registry (several connectors may run in one test process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(countSessionsByStatus: () => Promise<Record<string, number>>, heldSessions: () => number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'whatsapp_connector_' });
  const metrics = {
    registry,
    sent: new Counter({ name: 'whatsapp_messages_sent_total', help: 'Outbound messages handed to WhatsApp', registers: [registry] }),
    failed: new Counter({ name: 'whatsapp_messages_failed_total', help: 'Outbound messages failed permanently', labelNames: ['code'], registers: [registry] }),
    retried: new Counter({ name: 'whatsapp_messages_retried_total', help: 'Outbound send attempts retried', labelNames: ['code'], registers: [registry] }),
    received: new Counter({ name: 'whatsapp_messages_received_total', help: 'Inbound messages stored (replays not counted)', registers: [registry] }),
    historyChunks: new Counter({ name: 'whatsapp_history_sync_chunks_total', help: 'History sync chunks handled (messages imported: yes, or no when the user turned history import off)',
      labelNames: ['imported'], registers: [registry] }),
    historyImported: new Counter({ name: 'whatsapp_history_messages_imported_total', help: 'Messages stored from the history sync of a new link (imported = true)', registers: [registry] }),
    mediaStored: new Counter({ name: 'whatsapp_media_stored_total', help: 'Inbound media files downloaded and stored in Storage', registers: [registry] }),
    claims: new Counter({ name: 'whatsapp_outbound_claims_total', help: 'Outbound claim statements, by rows returned against rows asked (all, fewer, none)',
      labelNames: ['rows'], registers: [registry] }),
    reconnects: new Counter({ name: 'whatsapp_reconnects_total', help: 'Reconnects after a dropped connection', labelNames: ['code'], registers: [registry] }),
    sendLatency: new Histogram({
      name: 'whatsapp_send_latency_seconds',
      help: 'Row created -> WhatsApp accepted the message (sendMessage resolved)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    held: new Gauge({ name: 'whatsapp_connector_held_sessions', help: 'Sessions this connector holds a lease and socket for', registers: [registry],
      collect() { this.set(heldSessions()); } }),
    byStatus: new Gauge({
      name: 'whatsapp_sessions', help: 'Sessions in the database by status', labelNames: ['status'], registers: [registry],
      async collect() {
        try {
          const counts = await countSessionsByStatus();
          this.reset();
          for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
        } catch {
          // the health check reports the database; metrics stay best effort
        }
      },
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
