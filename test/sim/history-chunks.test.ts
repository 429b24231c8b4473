// How the simulated phone splits the history it sends a new companion (handlers/history-sync.ts): the newest
// conversations' newest messages inline in the INITIAL_BOOTSTRAP, the rest going back in time in RECENT chunks
// with rising progress; every message exactly once, newest first within a conversation, the mappings of the
// conversations each chunk carries. (The download and import of the chunks: test/e2e/connector-history-import.)
import { proto } from '@whiskeysockets/baileys'
import { describe, expect, it } from 'vitest'
import type { HistoryConversation, SimUser } from './device-registry.ts'
import { historyChunks } from './handlers/history-sync.ts'

const party = (n: number) => ({ lid: `${n}00000000001@lid`, pn: `1555000000${n}@s.whatsapp.net`, name: `P${n}` }) as unknown as SimUser

function conversation(n: number, count: number, newest: number, phoneShared = true): HistoryConversation {
  return { with: party(n), phoneShared, messages: Array.from({ length: count }, (_, i) => ({ id: `M${n}-${i}`, fromMe: i % 2 === 1, text: `${n}/${i}`, at: newest - (count - 1 - i) * 60_000 })) }
}

const ids = (sync: proto.IHistorySync) => (sync.conversations ?? []).flatMap(c => (c.messages ?? []).map(m => m.message!.key!.id!))

describe('sim history sync chunks', () => {
  it('bootstrap then RECENT chunks: every message once, newest first, progress to 100, the mappings of each chunk', () => {
    const now = Date.UTC(2026, 11, 7, 12)
    const history = [conversation(1, 6, now - 60_000), conversation(2, 3, now, false), conversation(3, 2, now - 86_400_000)]
    const user = { history, historyChunking: { bootstrapConversations: 2, bootstrapMessagesPerConversation: 2, messagesPerChunk: 3 } } as unknown as SimUser
    const { bootstrap, recent } = historyChunks(user)

    expect(bootstrap.syncType).toBe(proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP)
    expect((bootstrap.conversations ?? []).map(c => c.id)).toEqual([party(2).lid, party(1).lid])
    expect(ids(bootstrap)).toEqual(['M2-2', 'M2-1', 'M1-5', 'M1-4'])
    expect(bootstrap.phoneNumberToLidMappings).toEqual([{ pnJid: party(1).pn, lidJid: party(1).lid }])

    expect(recent.map(c => [c.syncType, c.chunkOrder, c.progress])).toEqual([
      [proto.HistorySync.HistorySyncType.RECENT, 1, 33], [proto.HistorySync.HistorySyncType.RECENT, 2, 67], [proto.HistorySync.HistorySyncType.RECENT, 3, 100],
    ])
    // going back in time across conversations; conversation 3 (older than the bootstrap's two) only here
    expect(recent.map(ids)).toEqual([['M2-0', 'M1-3', 'M1-2'], ['M1-1', 'M1-0', 'M3-1'], ['M3-0']])
    expect(recent.map(c => (c.phoneNumberToLidMappings ?? []).map(m => m.pnJid))).toEqual([[party(1).pn], [party(1).pn, party(3).pn], [party(3).pn]])
    const all = [bootstrap, ...recent].flatMap(ids)
    expect(all.length).toBe(11)
    expect([...all].sort()).toEqual(history.flatMap(c => c.messages.map(m => m.id)).sort())
    const times = [bootstrap, ...recent].flatMap(s => (s.conversations ?? []).flatMap(c => (c.messages ?? []).map(m => Number(m.message!.messageTimestamp))))
    expect(times).toEqual([...times].sort((a, b) => b - a))
  })

  it('a history that fits the bootstrap is one INITIAL_BOOTSTRAP at progress 100 and no chunk', () => {
    const user = { history: [conversation(1, 2, Date.now())] } as unknown as SimUser
    const { bootstrap, recent } = historyChunks(user)
    expect([bootstrap.progress, recent]).toEqual([100, []])
  })
})
