// "typing…" to the recipient while a paced send waits (best effort: WhatsApp clears it when the message arrives).
import type { Logger } from 'pino';
import type { EffectiveSettings } from '../settings/index.ts';
import type { OutboundRow } from '../store/index.ts';
import type { SessionConnection } from '../whatsapp/index.ts';
import { recipientOfRow } from './recipient.ts';

export function showTyping(conn: SessionConnection | undefined, row: OutboundRow, settings: EffectiveSettings, logger: Logger): void {
  const recipient = recipientOfRow(row, settings.defaultCountry);
  if (!conn?.open || !conn.sock || !recipient.ok) return;
  conn.sock.sendPresenceUpdate('composing', recipient.jid)
    .catch((err) => logger.debug({ err, message: row.id }, 'typing indicator not sent'));
}
