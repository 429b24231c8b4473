// The reactions in a session, ours and the contacts', from the one table that records both (message_reactions:
// one row per message and side, keyed by from_me): a reaction sent from here (apply_outbound_action records it
// in the transaction that marks the row sent), one typed on the phone, and the contact's. Each side is a map
// from the WhatsApp id of the message reacted to, to the emoji. Live through Realtime; a removed reaction is a
// DELETE whose old record carries only the row id (default replica identity), so it is matched by id and
// subscribed without a filter (a filter on session_id would never match it). A row is filed under the side
// its from_me says, so the contact's reaction never shows as ours (with our remove button).
import { useEffect, useMemo, useState } from 'react';
import type { Tables } from '../../../../supabase/functions/_shared/database.types.ts';
import type { AppSupabase } from '../../lib/supabase.ts';
import { channelName } from '../../lib/supabase.ts';

type Reaction = Pick<Tables<'message_reactions'>, 'id' | 'wa_message_id' | 'emoji' | 'from_me'>;
export type Reactions = { ours: Map<string, string>; theirs: Map<string, string> };

export function useReactions(supabase: AppSupabase, sessionId: string | undefined): Reactions {
  const [rows, setRows] = useState(() => new Map<number, Reaction>());

  useEffect(() => {
    setRows(new Map());
    if (!sessionId) return undefined;
    let active = true;
    const put = (row: Reaction) => setRows((current) => new Map(current).set(row.id, row));
    const remove = (id: number | undefined) => setRows((current) => {
      if (!id || !current.has(id)) return current;
      const next = new Map(current);
      next.delete(id);
      return next;
    });
    const load = async () => {
      const { data } = await supabase.from('message_reactions').select('id, wa_message_id, emoji, from_me').eq('session_id', sessionId);
      if (active && data) setRows(new Map(data.map((r) => [r.id, r])));
    };
    const filter = `session_id=eq.${sessionId}`;
    const channel = supabase.channel(channelName(`wl-reactions-${sessionId}`))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'message_reactions', filter }, (p) => active && put(p.new as Reaction))
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'message_reactions', filter }, (p) => active && put(p.new as Reaction))
      .on('postgres_changes', { event: 'DELETE', schema: 'public', table: 'message_reactions' },
        (p) => active && remove((p.old as Partial<Reaction>).id))
      .subscribe((status) => { if (status === 'SUBSCRIBED') void load(); });
    void load();
    return () => {
      active = false;
      void supabase.removeChannel(channel);
    };
  }, [supabase, sessionId]);

  return useMemo(() => {
    const ours = new Map<string, string>();
    const theirs = new Map<string, string>();
    for (const r of rows.values()) (r.from_me ? ours : theirs).set(r.wa_message_id, r.emoji);
    return { ours, theirs };
  }, [rows]);
}
