// The messages of one conversation (one contact of the session), oldest first in the timeline's order (as the
// whatsapp_conversations view orders them): WhatsApp's second, then the order we stored them in, then the row.
// Kept live by Realtime on the session's rows; a row that moves to this contact (a merge) joins, one that
// moves away leaves.
import { useEffect, useState } from 'react';
import { isRepActionType, REP_ACTION_LIST } from '../../../../supabase/functions/_shared/rep-actions.ts';
import type { AppSupabase } from '../../lib/supabase.ts';
import { channelName } from '../../lib/supabase.ts';
import { parseTimestamp } from '../../lib/time.ts';
import type { InboundMessage, OutboundMessage } from '../../lib/types.ts';
import type { MessageItem } from '../messages/use-messages.ts';

const LIMIT = 200;

function inItem(row: InboundMessage): MessageItem {
  return { direction: 'in', key: `in:${row.id}`, at: parseTimestamp(row.received_at), row };
}

function outItem(row: OutboundMessage): MessageItem {
  return { direction: 'out', key: `out:${row.id}`, at: parseTimestamp(row.sent_at ?? row.created_at), row };
}

/** [WhatsApp's second, stored at, row order]: outbound rows have no WhatsApp time of their own. */
function timelineKey(item: MessageItem): [number, number, number] {
  if (item.direction === 'in') return [Math.floor(parseTimestamp(item.row.wa_timestamp) / 1000), item.at, item.row.id];
  return [Math.floor(item.at / 1000), item.at, -1];
}

export function inTimelineOrder(items: MessageItem[]): MessageItem[] {
  const keyed = items.map((item) => ({ item, key: timelineKey(item) }));
  keyed.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
  return keyed.map(({ item }) => item);
}

export function useThread(supabase: AppSupabase, sessionId: string | undefined, contactId: string | null) {
  const [items, setItems] = useState(() => new Map<string, MessageItem>());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setItems(new Map());
    setError(null);
    if (!sessionId || !contactId) return undefined;
    let active = true;
    const put = (add: MessageItem[], removeKeys: string[] = []) => setItems((current) => {
      const next = new Map(current);
      for (const key of removeKeys) next.delete(key);
      for (const item of add) next.set(item.key, item);
      return next;
    });
    const load = async () => {
      const [i, o] = await Promise.all([
        supabase.from('inbound_messages').select('*').eq('contact_id', contactId)
          .order('received_at', { ascending: false }).limit(LIMIT),
        supabase.from('outbound_messages').select('*').eq('contact_id', contactId).not('content_type', 'in', REP_ACTION_LIST)
          .order('created_at', { ascending: false }).limit(LIMIT),
      ]);
      if (!active) return;
      if (i.error ?? o.error) {
        setError((i.error ?? o.error)?.message ?? 'error');
        return;
      }
      put([...(i.data ?? []).map(inItem), ...(o.data ?? []).map(outItem)]);
    };
    const onInbound = (row: InboundMessage) => {
      if (!active) return;
      if (row.contact_id === contactId) put([inItem(row)]);
      else put([], [`in:${row.id}`]);
    };
    const onOutbound = async (row: OutboundMessage) => {
      if (!active || isRepActionType(row.content_type)) return;
      if (row.contact_id !== contactId) {
        put([], [`out:${row.id}`]);
        return;
      }
      // wa_message_id is a generated column: logical replication (Postgres 15) leaves it out of Realtime's
      // payload, and the rep actions need it; read it once
      if (row.wa_message_id === undefined) {
        const { data } = await supabase.from('outbound_messages').select('wa_message_id').eq('id', row.id).limit(1);
        if (!active || !data?.[0]) return;
        row = { ...row, wa_message_id: data[0].wa_message_id };
      }
      put([outItem(row)]);
    };
    const filter = `session_id=eq.${sessionId}`;
    const channel = supabase
      .channel(channelName(`wl-thread-${contactId}`))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'inbound_messages', filter }, (p) => onInbound(p.new as InboundMessage))
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'inbound_messages', filter }, (p) => onInbound(p.new as InboundMessage))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'outbound_messages', filter }, (p) => void onOutbound(p.new as OutboundMessage))
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'outbound_messages', filter }, (p) => void onOutbound(p.new as OutboundMessage))
      .subscribe((status) => {
        if (status === 'SUBSCRIBED') void load();
      });
    void load();
    return () => {
      active = false;
      void supabase.removeChannel(channel);
    };
  }, [supabase, sessionId, contactId]);

  return { items: inTimelineOrder([...items.values()]), error };
}
