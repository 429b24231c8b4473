import { describe, expect, it } from 'vitest';
import { normalizeRecipient, recipientOfRow } from './recipient.ts';

describe('normalizeRecipient', () => {
  it('normalizes international numbers with punctuation to E.164 and a WhatsApp jid', () => {
    expect(normalizeRecipient('+1 (555) 000-2222', null)).toEqual({ ok: true, e164: '+15550002222', jid: '15550002222@s.whatsapp.net' });
    expect(normalizeRecipient('0049 30 1234567', null)).toMatchObject({ ok: true, e164: '+49301234567' });
    expect(normalizeRecipient('15550002222@s.whatsapp.net', null)).toMatchObject({ ok: true, e164: '+15550002222' });
  });

  it('uses the configured default country for national numbers', () => {
    expect(normalizeRecipient('(11) 98765-4321', 'BR')).toMatchObject({ ok: true, e164: '+5511987654321' });
  });

  it('rejects national numbers without a default country, and impossible numbers, with a reason', () => {
    expect(normalizeRecipient('5550002222', null)).toMatchObject({ ok: false, code: 'invalid_recipient', reason: expect.stringContaining('country code') });
    expect(normalizeRecipient('+12', null)).toMatchObject({ ok: false, code: 'invalid_recipient' });
    expect(normalizeRecipient('+1 555 000 22223333', null)).toMatchObject({ ok: false, code: 'invalid_recipient' });
  });
});

describe('recipientOfRow', () => {
  it('sends to the phone when the row has one, else to the LID the database addressed it to', () => {
    expect(recipientOfRow({ recipient: '+15550002222', recipient_jid: null }, null)).toEqual({ ok: true, e164: '+15550002222', jid: '15550002222@s.whatsapp.net' });
    expect(recipientOfRow({ recipient: null, recipient_jid: '100000000000123@lid' }, null)).toEqual({ ok: true, e164: null, jid: '100000000000123@lid' });
  });

  it('refuses a row with neither (or with a jid that is not a LID)', () => {
    expect(recipientOfRow({ recipient: null, recipient_jid: null }, null)).toMatchObject({ ok: false, code: 'invalid_recipient' });
    expect(recipientOfRow({ recipient: null, recipient_jid: '15550002222@s.whatsapp.net' }, null)).toMatchObject({ ok: false, code: 'invalid_recipient' });
  });
});
