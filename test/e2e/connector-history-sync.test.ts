// History sync on link (issue 12 §2.5): today's WhatsApp sends a new companion its initial history sync, which
// carries the LID↔phone mappings (WAProto HistorySync.phoneNumberToLidMappings, rc14 Utils/history.js; the
// simulator's test/sim/handlers/history-sync.ts, which cites its sources). The
// connector's old `shouldSyncHistoryMessage: () => false` threw them away: stock rc14 with that setting logs
// "DANGER: DISABLING ALL SYNC…" and keeps no mapping (test/sim/account-2026.test.ts), so a contact who later writes
// without sender_pn showed up as a bare LID. Now the mappings land in Baileys' lid-mapping keys (whatsapp_auth_state)
// and in whatsapp_contacts, and a LID-only message after the link is attributed to the phone.
import { describe, expect, it } from 'vitest';
import {
  useConnectorFixture, randomPhone, requestLink, scanLikeAUser, sessionRow, waitFor, waitForStatus,
} from './connector-support.ts';

const fx = useConnectorFixture();

describe('connector: the history sync of a new link', () => {
  it('stores the LID↔phone mappings it carries (contacts and lid-mapping keys); a LID-only message afterwards has the phone', async () => {
    expect(fx.sim.behaviours().historySyncOnLink).toBe(true);
    const me = await randomPhone();
    const alice = fx.sim.contact(await randomPhone(), { name: 'Alice' });
    const hidden = fx.sim.contact(await randomPhone(), { name: 'Hidden' });
    fx.sim.seedHistory(me, [
      { with: alice.phone, messages: [{ fromMe: false, text: 'hola' }, { fromMe: true, text: 'qué tal' }] },
      { with: hidden.phone, phoneShared: false, messages: [{ fromMe: false, text: 'lid only' }] },
    ]);
    const sentBefore = fx.sim.linkEvents('history_sync_sent').length;
    const { sessionId } = await requestLink(fx.db);
    await scanLikeAUser(fx.sim, async () => (await sessionRow(fx.db, sessionId)).qr, { phone: me });
    await waitForStatus(fx.db, sessionId, 'connected');
    await waitFor(async () => fx.sim.linkEvents('history_sync_sent').length > sentBefore, 'the history sync sent');

    const contactOf = (lid: string) => waitFor(async () =>
      (await fx.db.sql`select * from whatsapp_contacts where session_id = ${sessionId} and lid = ${lid}`)[0], `the contact ${lid}`);
    const aliceRow = await contactOf(alice.lid);
    expect(aliceRow).toMatchObject({ phone_number: alice.phone });
    expect(['history_sync', 'contact_sync']).toContain(aliceRow.phone_source);
    // the contact who does not share its number stays LID-only (never a phone made up from the LID)
    expect(await contactOf(hidden.lid)).toMatchObject({ phone_number: null });
    // Baileys' own store (rc14 Utils/process-message.js storeLIDPNMappings): pn → lid and lid_reverse → pn
    const keys = await fx.db.sql`select key_id from whatsapp_auth_state where session_id = ${sessionId} and kind = 'lid-mapping'`;
    const digits = (jid: string) => jid.split('@')[0]!;
    expect(keys.map((k) => k.key_id)).toEqual(expect.arrayContaining([digits(alice.jid), `${digits(alice.lid)}_reverse`]));
    expect(keys.map((k) => k.key_id)).not.toContain(digits(hidden.jid));

    // Alice now writes without sender_pn (LID only): the mapping from the history sync names her number
    alice.setSharesPhone(false);
    const waId = await alice.sendText(me, 'after the link');
    const row = await waitFor(async () =>
      (await fx.db.sql`select * from inbound_messages where session_id = ${sessionId} and wa_message_id = ${waId}`)[0], 'the LID-only message');
    expect(row).toMatchObject({ chat_jid: alice.lid, sender_phone: alice.phone, contact_id: aliceRow.id });
  });
});
