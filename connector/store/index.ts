import { createDb, type Sql } from './db.ts';
import { makeAuthRowStore } from './auth-rows.ts';
import { makeCommandStore } from './commands.ts';
import { makeMediaStore } from './media.ts';
import { makeContactStore } from './contacts.ts';
import { makeMessageStore } from './messages.ts';
import { makeSessionStore } from './sessions.ts';
import { makeSettingsStore } from './settings.ts';
import { makeTimelineStore } from './timeline.ts';

export { isLeaseLostError } from './db.ts';
export type { Sql } from './db.ts';
export type { AuthRowStore, AuthRowWrite } from './auth-rows.ts';
export type { CommandName, CommandRow, CommandStore } from './commands.ts';
export type { ContactSighting, ContactStore, HistoryChat, PhoneSource } from './contacts.ts';
export type { MediaFinalState, MediaJob, MediaStore } from './media.ts';
export type { InboundMedia, InboundOutcome, InboundRow, MessageStore, OutboundReceipt, OutboundRow } from './messages.ts';
export { isRepAction } from './messages.ts';
export type { TimelineStore } from './timeline.ts';
export type { Fence, SessionRow, SessionStatus, SessionStore, StatusChange } from './sessions.ts';
export type { SettingsRow, SettingsStore } from './settings.ts';

export function createStore(url: string, poolSize: number) {
  const sql: Sql = createDb(url, poolSize);
  return {
    sql,
    sessions: makeSessionStore(sql),
    commands: makeCommandStore(sql),
    contacts: makeContactStore(sql),
    messages: makeMessageStore(sql),
    media: makeMediaStore(sql),
    timeline: makeTimelineStore(sql),
    authRows: makeAuthRowStore(sql),
    settings: makeSettingsStore(sql),
    async ping(): Promise<void> {
      await sql`select 1`;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

export type Store = ReturnType<typeof createStore>;
