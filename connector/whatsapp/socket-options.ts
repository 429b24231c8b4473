// Baileys socket options for one session. Pointing at the simulator is configuration only.
import { Agent } from 'node:https';
import makeWASocket, { Browsers, DEF_MEDIA_HOST, WA_CERT_DETAILS, type proto, type AuthenticationState, type WAMessageKey } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { Agent as UndiciAgent, type Dispatcher } from 'undici';
import type { ConnectorConfig } from '../config.ts';
import { shouldSyncHistoryMessage } from './history-policy.ts';
import type { WaVersion } from './wa-version.ts';

let certificateSet = false;
let simulatorUploadAgent: Agent | undefined;
let simulatorDownloadAgent: Dispatcher | undefined;

/** Simulator mode only: trust the simulator's root key instead of WhatsApp's (process-wide, set once). */
export function applySimulatorCertificate(config: ConnectorConfig): void {
  const key = config.whatsapp.simulatorRootKey;
  if (!key || certificateSet) return;
  WA_CERT_DETAILS.PUBLIC_KEY = key.length === 64 ? key.subarray(32) : key;
  certificateSet = true;
}

function simulatorDownloads(ca: string, mediaHost: string | null): Dispatcher {
  const agent = new UndiciAgent({ connect: { ca } });
  if (!mediaHost) return agent;
  return agent.compose((dispatch) => (opts, handler) => dispatch(
    opts.origin && new URL(String(opts.origin)).host === DEF_MEDIA_HOST ? { ...opts, origin: `https://${mediaHost}` } : opts, handler));
}

export interface SocketInput {
  auth: AuthenticationState;
  logger: Logger;
  getMessage: (key: WAMessageKey) => Promise<proto.IMessage | undefined>;
  /** the WA Web version announced in the handshake (wa-version.ts) */
  version: WaVersion;
}

export function createSocket(config: ConnectorConfig, input: SocketInput) {
  // Simulator mode only: media uploads (Baileys' fetchAgent, node:https) trust the simulator's media CA.
  const ca = config.whatsapp.simulatorMediaCa;
  if (ca && !simulatorUploadAgent) simulatorUploadAgent = new Agent({ ca, keepAlive: true });
  // ... and so do the downloads Baileys makes itself (fetch with `options.dispatcher`): the RECENT history sync
  // chunks the phone uploads as md-msg-hist media (rc14 Utils/history.js downloadHistory). Those carry no URL, so
  // Baileys asks WhatsApp's default media host: the simulator's media host stands in for it.
  if (ca && !simulatorDownloadAgent) simulatorDownloadAgent = simulatorDownloads(ca, config.whatsapp.simulatorMediaHost);
  return makeWASocket({
    auth: input.auth,
    logger: input.logger,
    version: input.version,
    // A standard "Browser (OS)" display: WhatsApp refuses a pairing code for any other with 400 (PR #2769; issue 12).
    browser: Browsers.windows('Chrome'),
    ...(config.whatsapp.webSocketUrl ? { waWebSocketUrl: config.whatsapp.webSocketUrl } : {}),
    // Everything but FULL history: the initial sync carries the LID↔phone mappings (history-policy.ts).
    shouldSyncHistoryMessage,
    syncFullHistory: false,
    markOnlineOnConnect: false,
    emitOwnEvents: true,
    fireInitQueries: true,
    ...(config.lifecycle.qrTimeoutMs ? { qrTimeout: config.lifecycle.qrTimeoutMs } : {}),
    connectTimeoutMs: config.lifecycle.connectTimeoutMs,
    defaultQueryTimeoutMs: config.lifecycle.queryTimeoutMs,
    // A commit that fails because the lease is gone must not be retried for 30 s.
    transactionOpts: { maxCommitRetries: 2, delayBetweenTriesMs: 200 },
    getMessage: input.getMessage,
    // Node's fetch takes undici's `dispatcher`; the DOM RequestInit Baileys types `options` with does not name it
    ...(ca ? { fetchAgent: simulatorUploadAgent, options: { dispatcher: simulatorDownloadAgent } as RequestInit } : {}),
  });
}

export type WASocket = ReturnType<typeof createSocket>;
