import { describe, expect, it } from 'vitest';
import { installConsoleGuard } from '../ops/console-guard.ts';

installConsoleGuard();
const { extractInbound } = await import('./extract.ts');
const session = { id: 's1', userId: 'u1', ownJid: '15550001111:7@s.whatsapp.net' };

describe('extractInbound', () => {
  it('stores a LID-addressed text with the phone-number chat jid, sender phone and push name', () => {
    const row = extractInbound({
      key: { remoteJid: '200000000000002@lid', remoteJidAlt: '15550002222@s.whatsapp.net', fromMe: false, id: 'ABC' } as never,
      message: { conversation: 'hello' }, pushName: 'Alice', messageTimestamp: 1_700_000_000,
    }, session)!;
    expect(row).toMatchObject({
      wa_message_id: 'ABC', chat_jid: '15550002222@s.whatsapp.net', sender_phone: '+15550002222', push_name: 'Alice',
      from_me: false, message_type: 'conversation', text: 'hello',
    });
    expect(row.wa_timestamp.toISOString()).toBe('2023-11-14T22:13:20.000Z');
  });

  it('extracts extended text and keeps other types with their type and a JSON-safe raw payload', () => {
    expect(extractInbound({ key: { remoteJid: '15550002222@s.whatsapp.net', id: 'X' }, message: { extendedTextMessage: { text: 'hi' } } }, session)?.text).toBe('hi');
    const image = extractInbound({
      key: { remoteJid: '15550002222@s.whatsapp.net', id: 'IMG' },
      message: { imageMessage: { mimetype: 'image/jpeg', jpegThumbnail: new Uint8Array([0, 1, 2]), caption: 'look' } },
    }, session)!;
    expect(image.message_type).toBe('imageMessage');
    expect(image.text).toBe('look');
    expect(JSON.parse(JSON.stringify(image.raw))).toEqual(image.raw);
  });

  it('marks messages the owner sent from the phone as from_me with the own jid as sender', () => {
    const row = extractInbound({ key: { remoteJid: '15550002222@s.whatsapp.net', fromMe: true, id: 'ME' }, message: { conversation: 'from phone' } }, session)!;
    expect(row).toMatchObject({ from_me: true, sender_jid: '15550001111@s.whatsapp.net', sender_phone: '+15550001111', push_name: null });
  });

  it('skips groups, status broadcasts, newsletters, protocol messages and empty stubs', () => {
    const m = (remoteJid: string, message: object | null = { conversation: 'x' }) => ({ key: { remoteJid, id: 'I' }, message } as never);
    expect(extractInbound(m('123-456@g.us'), session)).toBeNull();
    expect(extractInbound(m('status@broadcast'), session)).toBeNull();
    expect(extractInbound(m('123@newsletter'), session)).toBeNull();
    expect(extractInbound(m('15550002222@s.whatsapp.net', { protocolMessage: { type: 0 } }), session)).toBeNull();
    expect(extractInbound(m('15550002222@s.whatsapp.net', null), session)).toBeNull();
  });
});
