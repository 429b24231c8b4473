// Wires the connector's singletons. Loaded by startConnector() only after the console guard (and the
// Baileys runtime patch) are installed, because importing this module loads Baileys.
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { ConnectorConfig } from './config.ts';
import { Lru, makeEnvelope } from './auth-state/index.ts';
import { startRealtimeDoorbell, Sweeper, type Doorbell } from './doorbell/index.ts';
import { HistoryImporter, InboundRecorder, TimelineRecorder } from './inbound/index.ts';
import { LeaseKeeper } from './lease/index.ts';
import { createMediaStorage, InboundMediaKeeper } from './media/index.ts';
import { CommandRunner } from './lifecycle/command-runner.ts';
import { startHealthServer } from './ops/health-server.ts';
import { createMetrics } from './ops/metrics.ts';
import { OutboundDispatcher } from './outbound/index.ts';
import { AccountRestrictions } from './outbound/restrictions.ts';
import { SettingsCache } from './settings/index.ts';
import { createStore } from './store/index.ts';
import { createDb } from './store/db.ts';
import { makeWebhookStore, WebhookDelivery } from './webhooks/index.ts';
import { applySimulatorCertificate, ConfirmedIds, type SessionConnection } from './whatsapp/index.ts';
import { SessionManager } from './whatsapp/session-manager.ts';
import { WaVersionSource } from './whatsapp/wa-version.ts';
import { sharedAlsSockets } from './whatsapp/baileys-patches/install.ts';

export interface RunningConnector {
  readonly id: string;
  readonly healthPort: number;
  /** Runs one sweep now: commands and wanted sessions, then starts an outbound claim (not awaited). */
  sweep(): Promise<void>;
  sessions(): { id: string; open: boolean }[];
  /** Graceful: stop claiming, finish in-flight sends, close sockets WITHOUT logout, release leases. */
  stop(): Promise<void>;
}

export async function runConnector(config: ConnectorConfig, logger: Logger): Promise<RunningConnector> {
  applySimulatorCertificate(config);
  const store = createStore(config.database.url, config.database.poolSize);
  await store.ping();

  const authDeps = {
    rows: store.authRows,
    envelope: makeEnvelope({ current: config.authState.key, old: config.authState.oldKeys, acceptPlaintext: config.authState.acceptPlaintext }),
    cache: new Lru<unknown>(config.authState.cacheMaxKeys),
  };
  let manager!: SessionManager;
  const confirmed = new ConfirmedIds();
  const metrics = createMetrics(() => store.sessions.countByStatus(), () => manager.size);
  const settings = new SettingsCache(store.settings, config.settingsDefaults, logger);
  const mediaStorage = config.media ? createMediaStorage(config.media) : null;
  // The reachout time-lock of each session (issue 12 §2.6): learnt on every socket open, holds sends to new contacts.
  const restrictions = new AccountRestrictions({ store, logger, metrics, owner: config.connectorId });
  const dispatcher: OutboundDispatcher = new OutboundDispatcher({
    restrictions,
    config, store, logger, metrics, confirmed, settings, connection: (id) => manager.get(id),
    content: { storage: mediaStorage, findQuoted: (sessionId, id) => store.messages.findQuoted(sessionId, id) },
    onSent: (conn, messageId, phone, jid) => void inbound.onSent(conn, messageId, phone, jid)
      .catch((err) => logger.warn({ err, message: messageId }, 'recording the recipient contact failed')),
    // Sessions of users who paused sending are not claimed for (their rows stay queued).
    openSessionIds: () => manager.openConnections().filter((c) => settings.peek(c.userId)?.active !== false)
      .map((c) => c.sessionId),
  });
  // Inbound media are downloaded beside message handling (never in its way), into Storage.
  const media = config.media
    ? new InboundMediaKeeper({
        config: config.media, connectorId: config.connectorId, simulatorCa: config.whatsapp.simulatorMediaCa,
        store: store.media, storage: mediaStorage!, settings, logger,
        openSessions: () => manager.openConnections(),
        connection: (id) => manager.get(id),
        onStored: () => metrics.mediaStored.inc(),
      })
    : null;
  // MEDIA=disabled: media that were pending when it was turned off end 'disabled' rather than wait forever.
  const disableMedia = async () => {
    const n = await store.media.disable(manager.openConnections().map((c) => c.sessionId))
      .catch((err) => { logger.warn({ err }, 'ending pending media downloads failed; the next sweep retries'); return 0; });
    if (n) logger.info({ media: n }, 'pending media downloads ended: this connector keeps no media (MEDIA=disabled)');
  };
  let sweeper!: Sweeper;
  let alsChecked = !config.whatsapp.sharedAsyncLocalStorage;

  const inbound = new InboundRecorder({ store, logger, metrics, onMedia: () => media?.kick(), keepMedia: media !== null });
  const timeline = new TimelineRecorder({ store, logger, contacts: inbound });
  const history = new HistoryImporter({ recorder: inbound, settings, logger, metrics });
  // 'notify' = live messages; 'append' = messages WhatsApp kept while we were offline (they carry the
  // offline attribute), and our own sends echoed back (emitOwnEvents), which are skipped by id.
  const onMessages = async (conn: SessionConnection, upsert: BaileysEventMap['messages.upsert']) => {
    if (upsert.type === 'append') {
      // Baileys folds receipts that arrive right after a send into its own 'append' upsert of that message.
      await dispatcher.handleReceipts(conn, upsert.messages.filter((m) => m.key.fromMe && typeof m.status === 'number')
        .map((m) => ({ key: m.key, update: { status: m.status } })));
    }
    await inbound.onMessages(conn, upsert);
  };

  // One WA Web version for every session of this connector: WA_VERSION, else fetched (again after a 405).
  const versions = new WaVersionSource(config.whatsapp.version, logger);
  manager = new SessionManager(config, store, logger, () => ({
    config, store, logger, authDeps, confirmed, versions,
    hooks: {
      onOpen: (conn) => {
        restrictions.watch(conn);
        void settings.forUser(conn.userId);
        if (!alsChecked) {
          alsChecked = true;
          if (sharedAlsSockets() === 0) logger.warn('Baileys was loaded before the shared-AsyncLocalStorage patch: each socket has its own ALS (slower with many sessions)');
          else logger.info('Baileys sockets share one AsyncLocalStorage (runtime patch active)');
        }
        sweeper.ring();
      },
      onLinked: (_conn, replaced) => {
        for (const id of replaced) void manager.get(id)?.closeReplaced().catch((err) => logger.warn({ err }, 'closing replaced session failed'));
      },
      onEnded: (conn, why) => {
        manager.forget(conn);
        logger.info({ session: conn.sessionId, why }, 'session closed');
      },
      onMessages,
      onMessageUpdates: async (conn, updates) => {
        await dispatcher.handleReceipts(conn, updates);
        await timeline.onUpdates(conn, updates);
      },
      onReactions: (conn, reactions) => timeline.onReactions(conn, reactions),
      onContactEvent: (conn, event) => event.type === 'messaging-history.set'
        ? history.onHistory(conn, event.history) : inbound.onContactEvent(conn, event),
      onReconnect: (code) => metrics.reconnects.inc({ code: String(code ?? 'none') }),
    },
  }));
  const commands = new CommandRunner(config, store, manager, logger);
  const leases = new LeaseKeeper(config, store, manager, logger);

  const housekeeping = async () => {
    const expired = await store.sessions.expireIdle(config.lifecycle.idleDays * 86_400_000);
    for (const id of expired) manager.get(id)?.leaseLost();
    if (expired.length) logger.info({ expired }, 'idle sessions expired');
    const wiped = await store.sessions.deleteUnfinishedLinkCredentials(config.lifecycle.unfinishedLinkMaxAgeMs);
    if (wiped) logger.info({ sessions: wiped }, 'deleted credentials of links that never finished');
    const abandoned = await store.sessions.wipeAbandonedEnded();
    if (abandoned.length) logger.info({ sessions: abandoned }, 'wiped the credentials of replaced/expired sessions whose holder died');
  };
  await housekeeping().catch((err) => logger.warn({ err }, 'housekeeping failed'));
  const housekeepingTimer = setInterval(() => void housekeeping().catch((err) => logger.warn({ err }, 'housekeeping failed')),
    config.lifecycle.expireIntervalMs);
  housekeepingTimer.unref();

  // The outbound claim is started, not awaited: under a steady flow it keeps going round, and commands and
  // take-overs (resume) must not wait behind it. A doorbell ring for a new outbound row starts only the claim
  // (one round trip before sendMessage).
  const claimOutbound = () => void dispatcher.sweep().catch((err) => logger.warn({ err }, 'outbound claim failed; the next sweep retries'));
  // A user who resumed sending (or changed pacing) has rows to claim now, not at the next sweep.
  settings.onChange(() => claimOutbound());
  const refreshSettings = () => settings.refresh().catch((err) => logger.warn({ err }, 'refreshing messaging settings failed; the next sweep retries'));
  const sweepOnce = async () => {
    await commands.sweep();
    manager.kickResume();
    await refreshSettings();
    claimOutbound();
    if (media) media.kick();
    else await disableMedia();
  };
  sweeper = new Sweeper(config.sweepIntervalMs, sweepOnce, logger);
  leases.start();
  sweeper.start();

  let doorbell: Doorbell | null = null;
  if (config.realtime) {
    doorbell = startRealtimeDoorbell(config.realtime.url, config.realtime.serviceKey,
      (why) => (why === 'outbound' ? claimOutbound() : why === 'settings' ? void refreshSettings() : sweeper.ring()), logger);
  } else {
    logger.warn(`Realtime doorbell disabled: new rows are picked up by sweeps every ${config.sweepIntervalMs} ms`);
  }

  // Webhooks run on their own pool: a slow CRM endpoint never holds a connection a send needs.
  const webhookSql = config.webhooks.delivery ? createDb(config.database.url, config.webhooks.poolSize) : null;
  const webhooks = webhookSql ? new WebhookDelivery(config.webhooks, config.connectorId, makeWebhookStore(webhookSql), logger) : null;
  await webhooks?.start();

  const health = await startHealthServer(config.health.host, config.health.port, metrics, {
    connectorId: config.connectorId,
    heldSessions: () => manager.size,
    openSessions: () => manager.all().filter((c) => c.open).length,
    ping: () => store.ping(),
    realtime: () => doorbell?.status() ?? 'disabled',
  });
  logger.info({ healthPort: health.port, realtime: Boolean(config.realtime) }, 'connector started');

  let stopping: Promise<void> | null = null;
  return {
    id: config.connectorId,
    healthPort: health.port,
    sweep: sweepOnce,
    sessions: () => manager.all().map((c) => ({ id: c.sessionId, open: c.open })),
    stop() {
      stopping ??= (async () => {
        logger.info('connector stopping');
        clearInterval(housekeepingTimer);
        await doorbell?.stop();
        await sweeper.stop();
        await Promise.all([
          dispatcher.stop(config.lifecycle.shutdownGraceMs),
          media?.stop(config.lifecycle.shutdownGraceMs),
          webhooks?.stop(config.lifecycle.shutdownGraceMs),
        ]);
        await webhookSql?.end({ timeout: 5 });
        leases.stop();
        await manager.shutdownAll();
        await health.close();
        await store.close();
        logger.info('connector stopped');
      })();
      return stopping;
    },
  };
}
