import { proto, type BinaryNode } from '@whiskeysockets/baileys'
import type { SimContext } from '../context.ts'
import type { SimUser } from '../device-registry.ts'
import { mediaPartOf } from '../media/phone-media.ts'

/**
 * What a contact's phone shows of a rep's actions TO it (edits, reactions and deletes FROM contacts are modelled
 * elsewhere): "typing…", reactions, edits and deletes-for-everyone of earlier messages, quotes in replies. The
 * read receipts a linked device sends for the contact's messages are already in `SimUser.receiptsReceived`.
 * Shapes follow Baileys 7 rc14 `Utils/messages.js` (reactionMessage; protocolMessage REVOKE = 0 and
 * MESSAGE_EDIT = 14 with `editedMessage`; contextInfo.stanzaId for a quote) and `Socket/chats.js`
 * sendPresenceUpdate (`<chatstate to><composing/></chatstate>`).
 */
export interface ContactView {
  /** chat states received, oldest first */
  typing: { from: string; state: 'composing' | 'paused'; at: number }[]
  /** reactions on a message id ('' = removed), latest per reacting phone */
  reactions: Map<string, Map<string, { emoji: string; at: number }>>
  /** edits of a message id, oldest first */
  edits: Map<string, { text: string; at: number; by: string }[]>
  /** message ids deleted for everyone, and by whom */
  revoked: Map<string, { by: string; at: number }>
  /** reply message id -> the message id it quotes */
  quotes: Map<string, string>
}

const views = new WeakMap<SimUser, ContactView>()

export function contactView(user: SimUser): ContactView {
  let view = views.get(user)
  if (!view) {
    view = { typing: [], reactions: new Map(), edits: new Map(), revoked: new Map(), quotes: new Map() }
    views.set(user, view)
  }
  return view
}

function notify(user: SimUser): void {
  for (const w of user.waiters) w()
}

/** `<chatstate to><composing/>|<paused/></chatstate>` from a linked device: the recipient's phone shows it. */
export function handleClientChatState(ctx: SimContext, sender: SimUser, node: BinaryNode): void {
  const target = node.attrs.to ? ctx.registry.userForJid(node.attrs.to) : undefined
  const state = Array.isArray(node.content) ? node.content[0]?.tag : undefined
  if (!target || target === sender || (state !== 'composing' && state !== 'paused')) return
  contactView(target).typing.push({ from: `+${sender.phone}`, state, at: Date.now() })
  notify(target)
}

/**
 * A decrypted message from a linked device to this phone that changes an earlier one: records it and returns
 * true (the caller records nothing else for it). A reply with a quote returns false (it is a text as well).
 */
export function recordRepAction(target: SimUser, sender: SimUser, id: string, message: proto.IMessage): boolean {
  const view = contactView(target)
  const by = `+${sender.phone}`
  // a quote rides on the text's or the media's contextInfo (rc14 Utils/messages.js generateWAMessageContent: quoted)
  const quoted = (message.extendedTextMessage ?? mediaPartOf(message)?.content)?.contextInfo?.stanzaId
  if (quoted) {
    view.quotes.set(id, quoted)
    notify(target)
    return false
  }
  const reaction = message.reactionMessage
  if (reaction?.key?.id) {
    let byPhone = view.reactions.get(reaction.key.id)
    if (!byPhone) view.reactions.set(reaction.key.id, (byPhone = new Map()))
    byPhone.set(by, { emoji: reaction.text ?? '', at: Date.now() })
    notify(target)
    return true
  }
  const protocol = message.protocolMessage
  const targetId = protocol?.key?.id
  if (protocol && targetId) {
    if (protocol.type === proto.Message.ProtocolMessage.Type.REVOKE) {
      view.revoked.set(targetId, { by, at: Date.now() })
      notify(target)
      return true
    }
    if (protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) {
      const edited = protocol.editedMessage
      const text = edited?.conversation ?? edited?.extendedTextMessage?.text
      if (typeof text === 'string') {
        const list = view.edits.get(targetId) ?? []
        list.push({ text, at: Date.now(), by })
        view.edits.set(targetId, list)
        notify(target)
      }
      return true
    }
  }
  return false
}
