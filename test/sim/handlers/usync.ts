import type { BinaryNode } from '@whiskeysockets/baileys'
import { bytes, child, children, iqResult, type SimContext } from '../context.ts'
import type { SimUser } from '../device-registry.ts'

function devicesNode(user: SimUser | undefined): BinaryNode {
  const list: BinaryNode[] = []
  if (user) {
    list.push({ tag: 'device', attrs: { id: '0' } })
    for (const d of user.companions.values()) {
      if (!d.loggedOut) list.push({ tag: 'device', attrs: { id: String(d.deviceId), 'key-index': String(d.keyIndex) } })
    }
  }
  return { tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: list }] }
}

/**
 * `<iq xmlns=usync>`: answers the devices, lid and contact protocols (what sendMessage and onWhatsApp use).
 * Any E.164 number is a WhatsApp user (created on first lookup) unless marked not on WhatsApp.
 */
export function handleUsync(ctx: SimContext, iq: BinaryNode): BinaryNode {
  const usync = child(iq, 'usync')
  const protocols = children(child(usync, 'query')).map(p => p.tag)
  const out: BinaryNode[] = []
  for (const u of children(child(usync, 'list'), 'user')) {
    let jid = u.attrs.jid
    let target: SimUser | undefined
    if (jid) {
      target = ctx.registry.userForJid(jid)
    } else {
      const phone = bytes(child(u, 'contact'))?.toString('utf8') ?? ''
      const digits = phone.replace(/[^0-9]/g, '')
      if (!digits) continue
      jid = `${digits}@s.whatsapp.net`
      try {
        target = ctx.registry.user(digits)
      } catch {
        target = undefined
      }
    }
    const content: BinaryNode[] = []
    for (const p of protocols) {
      if (p === 'devices') content.push(devicesNode(target))
      else if (p === 'lid' && target) content.push({ tag: 'lid', attrs: { val: target.lid } })
      else if (p === 'contact') content.push({ tag: 'contact', attrs: { type: target ? 'in' : 'out' } })
    }
    out.push({ tag: 'user', attrs: { jid }, content })
  }
  return iqResult(iq, [
    {
      tag: 'usync',
      attrs: { ...usync?.attrs },
      content: [
        { tag: 'result', attrs: {} },
        { tag: 'list', attrs: {}, content: out },
      ],
    },
  ])
}
