// Recent messages of one session, in and out, kept live by Realtime: outbound_messages INSERT/UPDATE
// and inbound_messages INSERT, filtered by session_id. Rows are re-read once the channel is joined.
import { useCallback, useEffect, useState } from 'react';
import type { SupabaseClient } from '@supabase/supabase-js';
import { channelName } from '../../lib/supabase.ts';
import { parseTimestamp } from '../../lib/time.ts';
import type { InboundMessage, OutboundMessage } from '../../lib/types.ts';

const LIMIT = 50;

export type MessageItem =
  | { direction: 'out'; key: string; at: number; row: OutboundMessage }
  | { direction: 'in'; key: string; at: number; row: InboundMessage };

export interface MessagesState {
  items: MessageItem[];
  error: string | null;
  /** Show a row the API just returned, before Realtime reports it. */
  addOutbound: (row: OutboundMessage) => void;
}

const outItem = (row: OutboundMessage): MessageItem => ({ direction: 'out', key: `out:${row.id}`, at: parseTimestamp(row.created_at), row });
const inItem = (row: InboundMessage): MessageItem => ({ direction: 'in', key: `in:${row.id}`, at: parseTimestamp(row.received_at), row });

function upsertOutbound(map: Map<string, OutboundMessage>, row: OutboundMessage) {
  const current = map.get(row.id);
  // Keep the most advanced status if updates arrive out of order.
  if (current && rank(current.status) > rank(row.status)) return;
  map.set(row.id, current ? { ...current, ...row } : row);
}

function rank(status: OutboundMessage['status']): number {
  return ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'].indexOf(status);
}

export function useMessages(supabase: SupabaseClient, sessionId: string | undefined): MessagesState {
  const [outbound, setOutbound] = useState(() => new Map<string, OutboundMessage>());
  const [inbound, setInbound] = useState(() => new Map<number, InboundMessage>());
  const [error, setError] = useState<string | null>(null);

  const addOutbound = useCallback((row: OutboundMessage) => {
    setOutbound((current) => {
      const next = new Map(current);
      upsertOutbound(next, row);
      return next;
    });
  }, []);

  const addInbound = useCallback((rows: InboundMessage[]) => {
    setInbound((current) => {
      const next = new Map(current);
      for (const row of rows) next.set(row.id, row);
      return next;
    });
  }, []);

  useEffect(() => {
    setOutbound(new Map());
    setInbound(new Map());
    setError(null);
    if (!sessionId) return undefined;
    let active = true;

    async function load(id: string) {
      const [out, inc] = await Promise.all([
        supabase.from('outbound_messages').select('*').eq('session_id', id).order('created_at', { ascending: false }).limit(LIMIT),
        supabase.from('inbound_messages').select('*').eq('session_id', id).order('received_at', { ascending: false }).limit(LIMIT),
      ]);
      if (!active) return;
      if (out.error ?? inc.error) {
        setError((out.error ?? inc.error)?.message ?? null);
        return;
      }
      for (const row of (out.data ?? []) as OutboundMessage[]) addOutbound(row);
      addInbound((inc.data ?? []) as InboundMessage[]);
    }

    const filter = `session_id=eq.${sessionId}`;
    const channel = supabase
      .channel(channelName(`wl-messages-${sessionId}`))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'outbound_messages', filter }, (payload) => {
        if (active) addOutbound(payload.new as OutboundMessage);
      })
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'outbound_messages', filter }, (payload) => {
        if (active) addOutbound(payload.new as OutboundMessage);
      })
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'inbound_messages', filter }, (payload) => {
        if (active) addInbound([payload.new as InboundMessage]);
      })
      .subscribe((status) => {
        if (status === 'SUBSCRIBED') void load(sessionId);
      });
    void load(sessionId);

    return () => {
      active = false;
      void supabase.removeChannel(channel);
    };
  }, [supabase, sessionId, addOutbound, addInbound]);

  const items = [...[...outbound.values()].map(outItem), ...[...inbound.values()].map(inItem)]
    .sort((a, b) => b.at - a.at)
    .slice(0, LIMIT);
  return { items, error, addOutbound };
}
