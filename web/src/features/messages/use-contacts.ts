// The contacts of one session (whatsapp_contacts under RLS), kept live by Realtime: a phone number that becomes
// known later (a LID↔phone mapping), a name, a merge (the LID row is deleted, its messages move: their
// inbound UPDATEs reach use-messages). Loaded once the channel is joined, like the messages.
import { useEffect, useState } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import { channelName } from '../../lib/supabase.ts';
import type { WhatsappContact } from '../../lib/types.ts';

export function useContacts(supabase: AppSupabase, sessionId: string | undefined): Map<string, WhatsappContact> {
  const [contacts, setContacts] = useState(() => new Map<string, WhatsappContact>());
  useEffect(() => {
    setContacts(new Map());
    if (!sessionId) return undefined;
    let active = true;
    const put = (rows: WhatsappContact[]) => setContacts((current) => {
      const next = new Map(current);
      for (const row of rows) next.set(row.id, row);
      return next;
    });
    const load = async () => {
      const { data } = await supabase.from('whatsapp_contacts').select('id, phone_number, push_name, saved_name')
        .eq('session_id', sessionId).order('last_seen_at', { ascending: false }).limit(1000);
      if (active && data) put(data);
    };
    const channel = supabase
      .channel(channelName(`wl-contacts-${sessionId}`))
      .on('postgres_changes', { event: '*', schema: 'public', table: 'whatsapp_contacts', filter: `session_id=eq.${sessionId}` }, (payload) => {
        if (!active) return;
        if (payload.eventType === 'DELETE') {
          const id = (payload.old as Partial<WhatsappContact>).id;
          if (id) setContacts((current) => { const next = new Map(current); next.delete(id); return next; });
        } else put([payload.new as WhatsappContact]);
      })
      .subscribe((status) => {
        if (status === 'SUBSCRIBED') void load();
      });
    void load();
    return () => {
      active = false;
      void supabase.removeChannel(channel);
    };
  }, [supabase, sessionId]);
  return contacts;
}
