import { jidDecode, type BinaryNode } from '@whiskeysockets/baileys'
import { bigEndian, bytes, child, children, iqResult, uintFrom, type SimContext } from '../context.ts'
import type { LinkedDevice } from '../device-registry.ts'

/** `<iq xmlns=encrypt type=set>` with `<list>` (pre-key upload) or `<rotate>` (new signed pre-key). */
export function handleKeyUpload(device: LinkedDevice, iq: BinaryNode): BinaryNode {
  const rotate = child(iq, 'rotate')
  const skey = child(rotate ?? iq, 'skey')
  if (skey) {
    device.signedPreKey = {
      keyId: uintFrom(bytes(child(skey, 'id'))),
      public: bytes(child(skey, 'value'))!,
      signature: bytes(child(skey, 'signature'))!,
    }
  }
  if (!rotate) {
    const reg = bytes(child(iq, 'registration'))
    if (reg) device.registrationId = uintFrom(reg)
    const identity = bytes(child(iq, 'identity'))
    if (identity) device.identityPublic = identity
    for (const key of children(child(iq, 'list'), 'key')) {
      device.preKeys.set(uintFrom(bytes(child(key, 'id'))), bytes(child(key, 'value'))!)
    }
    device.preKeyLowSent = false
  }
  return iqResult(iq)
}

export function handleKeyCount(device: LinkedDevice, iq: BinaryNode): BinaryNode {
  return iqResult(iq, [{ tag: 'count', attrs: { value: String(device.preKeys.size) } }])
}

/** Baileys only checks that a `<digest>` child exists; this one describes the stored bundle. */
export function handleDigest(device: LinkedDevice, iq: BinaryNode): BinaryNode {
  return iqResult(iq, [
    {
      tag: 'digest',
      attrs: {},
      content: [
        { tag: 'type', attrs: {}, content: Buffer.from([5]) },
        { tag: 'registration', attrs: {}, content: bigEndian(device.registrationId, 4) },
        { tag: 'identity', attrs: {}, content: device.identityPublic },
        {
          tag: 'skey',
          attrs: {},
          content: [{ tag: 'id', attrs: {}, content: bigEndian(device.signedPreKey.keyId, 3) }],
        },
        { tag: 'list', attrs: {}, content: [...device.preKeys.keys()].slice(0, 100).map(id => ({ tag: 'id', attrs: {}, content: bigEndian(id, 3) })) },
      ],
    },
  ])
}

/** `<iq xmlns=encrypt type=get><key><user jid/>…</key>`: one bundle per device, one-time pre-keys handed out once. */
export function handleKeyFetch(ctx: SimContext, iq: BinaryNode): BinaryNode {
  const users: BinaryNode[] = []
  for (const u of children(child(iq, 'key'), 'user')) {
    const jid = u.attrs.jid ?? ''
    const target = ctx.registry.userForJid(jid)
    const bundle = target ? ctx.registry.takeBundle(target, jidDecode(jid)?.device ?? 0) : undefined
    if (!bundle) {
      users.push({ tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] })
      continue
    }
    const content: BinaryNode[] = [
      { tag: 'registration', attrs: {}, content: bigEndian(bundle.registrationId, 4) },
      { tag: 'type', attrs: {}, content: Buffer.from([5]) },
      { tag: 'identity', attrs: {}, content: bundle.identity },
    ]
    if (bundle.preKey) {
      content.push({
        tag: 'key',
        attrs: {},
        content: [
          { tag: 'id', attrs: {}, content: bigEndian(bundle.preKey.keyId, 3) },
          { tag: 'value', attrs: {}, content: bundle.preKey.public },
        ],
      })
    }
    content.push({
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: bigEndian(bundle.signedPreKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: bundle.signedPreKey.public },
        { tag: 'signature', attrs: {}, content: bundle.signedPreKey.signature },
      ],
    })
    users.push({ tag: 'user', attrs: { jid }, content })
  }
  return iqResult(iq, [{ tag: 'list', attrs: {}, content: users }])
}
