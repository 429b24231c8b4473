// Seeding what an account's phone knows from before a companion links: its recent conversations. They travel in
// the history sync of the next new link (handlers/history-sync.ts) and make those contacts existing chats (not
// "new contacts" for a restriction).
import type { SimContext } from './context.ts'
import { normalizePhone, type HistoryChunking } from './device-registry.ts'
import { newMessageId } from './context.ts'
import { startChat } from './handlers/messages.ts'

export interface SeedConversation {
  /** the other party's phone (E.164) */
  with: string
  /** default true; false: the contact does not share its number, the conversation is known by LID only */
  phoneShared?: boolean
  /** the name the owner saved the contact under (the address book); default: the contact's own name */
  savedAs?: string
  /** oldest first; `at` defaults to minutes before now */
  messages: { fromMe: boolean; text: string; at?: Date; id?: string }[]
}

/** `chunking`: how the phone splits the history it sends (defaults in handlers/history-sync.ts). */
export function seedHistory(ctx: SimContext, phone: string, conversations: SeedConversation[], chunking?: Partial<HistoryChunking>): void {
  const owner = ctx.registry.user(phone)
  if (!owner) throw new Error(`${phone} is marked not on WhatsApp`)
  if (chunking) owner.historyChunking = { ...owner.historyChunking, ...chunking }
  for (const c of conversations) {
    const other = ctx.registry.user(c.with)
    if (!other) throw new Error(`${c.with} is marked not on WhatsApp`)
    if (normalizePhone(c.with) === owner.phone) throw new Error('a conversation needs another account')
    const n = c.messages.length
    owner.history.push({
      with: other,
      phoneShared: c.phoneShared ?? true,
      savedAs: c.savedAs ?? other.name,
      messages: c.messages.map((m, i) => ({
        id: m.id ?? newMessageId(),
        fromMe: m.fromMe,
        text: m.text,
        at: m.at?.getTime() ?? Date.now() - (n - i) * 60_000,
      })),
    })
    startChat(owner, other, false)
  }
}
