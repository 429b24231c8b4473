// Inbound: messages (messages.upsert) become inbound_messages rows pointing at their contact, and what
// WhatsApp tells about contacts (contacts.upsert/update, lid-mapping.update, the history sync's
// mappings) fills whatsapp_contacts. A LID-only message (no remoteJidAlt) asks Baileys' LID mapping store
// for the phone number; sends record the LID WhatsApp uses for the number we wrote to. Edits, deletes and
// reactions: timeline.ts; the history sent on link: history.ts.
import type { BaileysEventMap, WAMessage, WAMessageKey } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { describeMedia } from '../media/index.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { ContactSighting, InboundOutcome, Store } from '../store/index.ts';
import type { ContactEvent, SessionConnection } from '../whatsapp/index.ts';
import { extractInbound } from './extract.ts';
import { historyChatOf, phoneOfJid, sightingFromContact, sightingFromKey, sightingFromMapping } from './identity.ts';

export interface InboundRecorderDeps {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** a new row carries media to download (the media keeper fetches it beside message handling) */
  onMedia(): void;
  /** false with MEDIA=disabled: media rows are recorded as 'disabled' (metadata only) */
  keepMedia: boolean;
}

export class InboundRecorder {
  constructor(private readonly deps: InboundRecorderDeps) {}

  /**
   * Messages of a 1:1 chat, stored once per WhatsApp id, each pointing at its contact: 'notify' (live) and
   * 'append' (kept by WhatsApp while this device was offline: Baileys upserts stanzas with `offline` so).
   */
  async onMessages(conn: SessionConnection, upsert: BaileysEventMap['messages.upsert']): Promise<void> {
    if (upsert.type !== 'notify' && upsert.type !== 'append') return;
    for (const msg of upsert.messages) {
      const outcome = await this.record(conn, msg, false);
      this.deps.logger.trace({ session: conn.sessionId, key: msg.key, type: upsert.type, outcome }, 'messages.upsert');
    }
  }

  /** One message; `imported`: from the history WhatsApp sent on link. */
  async record(conn: SessionConnection, msg: WAMessage, imported: boolean): Promise<InboundOutcome | null> {
    const { store, metrics } = this.deps;
    const row = extractInbound(msg, { id: conn.sessionId, userId: conn.userId, ownJid: conn.ownJid });
    if (!row) return null;
    if (row.from_me && (await store.messages.isOwnOutbound(conn.sessionId, row.wa_message_id))) return null;
    row.imported = imported;
    const contact = await this.contactFor(conn, msg.key, msg.pushName);
    if (contact) {
      row.contact_id = contact.id;
      if (!row.from_me) row.sender_phone ??= contact.phone;
    }
    const media = describeMedia(msg);
    const outcome = await store.messages.storeInbound(row, media, this.deps.keepMedia);
    if (outcome !== 'duplicate') {
      if (!imported) metrics.received.inc();
      if (media?.thumbnail) await store.media.recordThumbnail(conn.sessionId, row.wa_message_id, media.thumbnail);
      if (media?.waveform) await store.media.recordWaveform(conn.sessionId, row.wa_message_id, media.waveform);
      if (media) this.deps.onMedia();
    }
    conn.touch();
    return outcome;
  }

  async onContactEvent(conn: SessionConnection, event: ContactEvent): Promise<void> {
    const sightings: (ContactSighting | null)[] =
      event.type === 'lid-mapping.update' ? [sightingFromMapping(event.mapping, 'lid_mapping')]
        : event.type === 'messaging-history.set'
          ? [...(event.history.lidPnMappings ?? []).map((m) => sightingFromMapping(m, 'history_sync')),
             ...event.history.contacts.map(sightingFromContact)]
          : event.contacts.map(sightingFromContact);
    for (const s of sightings) if (s) await this.deps.store.contacts.record(conn.sessionId, s);
    if (event.type === 'messaging-history.set') {
      // the chats it lists exist on the account (restrictions: not new contacts), whether or not messages are imported
      const chats = event.history.chats.map(historyChatOf).filter((c) => c !== null);
      await this.deps.store.contacts.recordHistoryChats(conn.sessionId, chats);
    }
  }

  /** After a send to a phone number: the row points at that contact, with the LID behind the number when known. */
  async onSent(conn: SessionConnection, messageId: string, phone: string, jid: string): Promise<void> {
    const lid = await conn.lidForPhone(jid).catch((err: unknown) => {
      this.deps.logger.debug({ err, session: conn.sessionId }, 'no LID for the recipient yet');
      return null;
    });
    await this.deps.store.contacts.recordOutbound(messageId, phone, lid);
  }

  /**
   * The contact of a 1:1 chat (created or completed), or null for other chats. A contact that cannot be
   * recorded never costs the message: it is logged and the row is stored without it.
   */
  async contactFor(conn: SessionConnection, key: WAMessageKey, pushName: string | null | undefined): Promise<{ id: string; phone: string | null } | null> {
    try {
      const sighting = sightingFromKey(key, pushName);
      if (!sighting) return null;
      if (sighting.lid && !sighting.phone) {
        // No sender_pn on the stanza: the pair may still be known from earlier (Baileys' lid-mapping keys).
        // getPNForLID answers device-qualified ("<pn>:0@s.whatsapp.net"): phoneOfJid drops the device.
        const phone = phoneOfJid(await conn.phoneForLid(sighting.lid).catch(() => null));
        if (phone) Object.assign(sighting, { phone, phoneSource: 'lid_mapping' as const });
      }
      return { id: await this.deps.store.contacts.record(conn.sessionId, sighting), phone: sighting.phone };
    } catch (err) {
      this.deps.logger.warn({ err, session: conn.sessionId, message: key.id }, 'recording the contact failed');
      return null;
    }
  }
}
