// What a SessionConnection is given: its dependencies and the hooks through which the runtime hears its events.
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config.ts';
import type { AuthStateDeps } from '../auth-state/postgres-auth-state.ts';
import type { Store } from '../store/index.ts';
import type { ConfirmedIds } from './confirmations.ts';
import type { SessionConnection } from './session-connection.ts';
import type { WaVersionSource } from './wa-version.ts';

export interface ConnectionHooks {
  onOpen(conn: SessionConnection): void;
  onLinked(conn: SessionConnection, replacedSessionIds: string[]): void;
  onEnded(conn: SessionConnection, why: string): void;
  onMessages(conn: SessionConnection, upsert: BaileysEventMap['messages.upsert']): Promise<void>;
  onMessageUpdates(conn: SessionConnection, updates: BaileysEventMap['messages.update']): Promise<void>;
  onReactions(conn: SessionConnection, reactions: BaileysEventMap['messages.reaction']): Promise<void>;
  /** what WhatsApp told about contacts: their LIDs, phone numbers and names */
  onContactEvent(conn: SessionConnection, event: ContactEvent): Promise<void>;
  onReconnect(code: number | undefined): void;
}

export type ContactEvent =
  | { type: 'contacts.upsert'; contacts: BaileysEventMap['contacts.upsert'] }
  | { type: 'contacts.update'; contacts: BaileysEventMap['contacts.update'] }
  | { type: 'lid-mapping.update'; mapping: BaileysEventMap['lid-mapping.update'] }
  | { type: 'messaging-history.set'; history: BaileysEventMap['messaging-history.set'] };

export interface ConnectionDeps {
  config: ConnectorConfig;
  store: Store;
  logger: Logger;
  authDeps: AuthStateDeps;
  hooks: ConnectionHooks;
  /** what WhatsApp acked or sent a receipt for, per session, across sockets (shared with the dispatcher) */
  confirmed: ConfirmedIds;
  /** the WA Web version to announce (one per connector) */
  versions: WaVersionSource;
}

export type LinkRequest = { method: 'qr' } | { method: 'pairing_code'; phone: string };
