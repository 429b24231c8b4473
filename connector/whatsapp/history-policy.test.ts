// The history-sync policy (issue 12 §2.5): FULL history refused, the kinds that carry the LID↔phone mappings and the
// recent chats accepted, and never "all disabled" (rc14's DANGER case, which loses the initial LID mappings).
import { PROCESSABLE_HISTORY_TYPES, proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { shouldSyncHistoryMessage } from './history-policy.ts';

const Type = proto.Message.HistorySyncType;

describe('shouldSyncHistoryMessage', () => {
  it('refuses FULL history', () => {
    expect(shouldSyncHistoryMessage({ syncType: Type.FULL })).toBe(false);
  });

  it.each([
    ['INITIAL_BOOTSTRAP', Type.INITIAL_BOOTSTRAP],
    ['RECENT', Type.RECENT],
    ['PUSH_NAME', Type.PUSH_NAME],
    ['INITIAL_STATUS_V3', Type.INITIAL_STATUS_V3],
    ['NON_BLOCKING_DATA', Type.NON_BLOCKING_DATA],
    ['ON_DEMAND', Type.ON_DEMAND],
  ])('accepts %s', (_name, syncType) => {
    expect(shouldSyncHistoryMessage({ syncType })).toBe(true);
  });

  it('refuses a notification without a sync type', () => {
    expect(shouldSyncHistoryMessage({ syncType: null })).toBe(false);
    expect(shouldSyncHistoryMessage({})).toBe(false);
  });

  it('decides every type Baileys processes, so rc14 never warns that all sync is disabled', () => {
    // rc14 Socket/socket.js L33-36: the DANGER warning fires when every PROCESSABLE_HISTORY_TYPES entry is refused
    const refused = PROCESSABLE_HISTORY_TYPES.filter(syncType => !shouldSyncHistoryMessage({ syncType }));
    expect(refused).toEqual([Type.FULL]);
    // and what it accepts is exactly what rc14 processes, minus FULL (NO_HISTORY / MESSAGE_ACCESS_STATUS carry none)
    const known = Object.values(Type).filter((v): v is number => typeof v === 'number');
    const accepted = known.filter(syncType => shouldSyncHistoryMessage({ syncType }));
    expect(new Set(accepted)).toEqual(new Set(PROCESSABLE_HISTORY_TYPES.filter(t => t !== Type.FULL)));
  });
});
