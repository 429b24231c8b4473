// The contacts' reactions in a session (message_reactions rows with from_me false: one per message, on their
// messages or ours), by the WhatsApp id of the message reacted to. Live through Realtime; a removed reaction is
// a DELETE whose old record carries only the row id (default replica identity), so it is matched by id and
// subscribed without a filter (a filter on session_id would never match it).
import { useEffect, useState } from 'react';
import type { Tables } from '../../../../supabase/functions/_shared/database.types.ts';
import type { AppSupabase } from '../../lib/supabase.ts';
import { channelName } from '../../lib/supabase.ts';

type Reaction = Pick<Tables<'message_reactions'>, 'id' | 'wa_message_id' | 'emoji' | 'from_me'>;

export function useContactReactions(supabase: AppSupabase, sessionId: string | undefined): Map<string, string> {
  const [rows, setRows] = useState(() => new Map<number, Reaction>());

  useEffect(() => {
    setRows(new Map());
    if (!sessionId) return undefined;
    let active = true;
    const put = (row: Reaction) => setRows((current) => {
      const next = new Map(current);
      if (row.from_me) next.delete(row.id);
      else next.set(row.id, row);
      return next;
    });
    const remove = (id: number | undefined) => setRows((current) => {
      if (!id || !current.has(id)) return current;
      const next = new Map(current);
      next.delete(id);
      return next;
    });
    const load = async () => {
      const { data } = await supabase.from('message_reactions').select('id, wa_message_id, emoji, from_me')
        .eq('session_id', sessionId).eq('from_me', false);
      if (active && data) setRows(new Map(data.map((r) => [r.id, r])));
    };
    const filter = `session_id=eq.${sessionId}`;
    const channel = supabase.channel(channelName(`wl-their-reactions-${sessionId}`))
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

  const byMessage = new Map<string, string>();
  for (const r of rows.values()) byMessage.set(r.wa_message_id, r.emoji);
  return byMessage;
}
