// Recent messages of one session, in and out, kept live by Realtime: outbound_messages INSERT/UPDATE
// and inbound_messages INSERT/UPDATE, filtered by session_id. Rows are re-read once the channel is joined.
import { useCallback, useEffect, useState } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import { channelName } from '../../lib/supabase.ts';
import { parseTimestamp } from '../../lib/time.ts';
import type { InboundMessage, OutboundMessage } from '../../lib/types.ts';
import { isRepActionType, REP_ACTION_LIST } from '../../../../supabase/functions/_shared/rep-actions.ts';

const LIMIT = 50;

export type MessageItem =
  | { direction: 'out'; key: string; at: number; row: OutboundMessage }
  | { direction: 'in'; key: string; at: number; row: InboundMessage };

export interface MessagesState {
  items: MessageItem[];
  error: string | null;
  /** true while older messages may exist beyond those loaded. */
  hasMore: boolean;
  loadingOlder: boolean;
  loadOlder: () => Promise<void>;
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

export function useMessages(supabase: AppSupabase, sessionId: string | undefined): MessagesState {
  const [outbound, setOutbound] = useState(() => new Map<string, OutboundMessage>());
  const [inbound, setInbound] = useState(() => new Map<number, InboundMessage>());
  const [error, setError] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);

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
    setHasMore(false);
    if (!sessionId) return undefined;
    let active = true;

    async function load(id: string) {
      const page = await fetchPage(supabase, id);
      if (!active) return;
      if ('error' in page) {
        setError(page.error);
        return;
      }
      for (const row of page.outbound) addOutbound(row);
      addInbound(page.inbound);
      setHasMore((current) => current || page.full);
    }

    const filter = `session_id=eq.${sessionId}`;
    const channel = supabase
      .channel(channelName(`wl-messages-${sessionId}`))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'outbound_messages', filter }, (payload) => {
        if (active && !isRepActionType((payload.new as OutboundMessage).content_type)) addOutbound(payload.new as OutboundMessage);
      })
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'outbound_messages', filter }, (payload) => {
        if (active && !isRepActionType((payload.new as OutboundMessage).content_type)) addOutbound(payload.new as OutboundMessage);
      })
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'inbound_messages', filter }, (payload) => {
        if (active) addInbound([payload.new as InboundMessage]);
      })
      // A received row changes in place: its media stored, a placeholder resolved, an edit, a deletion.
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'inbound_messages', filter }, (payload) => {
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

  const loadOlder = useCallback(async () => {
    if (!sessionId) return;
    setLoadingOlder(true);
    try {
      const oldest = (values: string[]) => values.reduce<string | undefined>(
        (min, v) => (min === undefined || parseTimestamp(v) < parseTimestamp(min) ? v : min), undefined);
      const page = await fetchPage(supabase, sessionId, {
        outbound: oldest([...outbound.values()].map((r) => r.created_at)),
        inbound: oldest([...inbound.values()].map((r) => r.received_at)),
      });
      if ('error' in page) {
        setError(page.error);
        return;
      }
      for (const row of page.outbound) addOutbound(row);
      addInbound(page.inbound);
      setHasMore(page.full);
    } finally {
      setLoadingOlder(false);
    }
  }, [supabase, sessionId, outbound, inbound, addOutbound, addInbound]);

  const items = [...[...outbound.values()].map(outItem), ...[...inbound.values()].map(inItem)].sort((a, b) => b.at - a.at);
  return { items, error, hasMore, loadingOlder, loadOlder, addOutbound };
}

type Page = { outbound: OutboundMessage[]; inbound: InboundMessage[]; full: boolean } | { error: string };

/** The newest LIMIT rows of each table for a session, or those before the given timestamps. */
async function fetchPage(
  supabase: AppSupabase,
  sessionId: string,
  before: { outbound?: string; inbound?: string } = {},
): Promise<Page> {
  // reactions, edits and deletes are rows too, but not messages of the list
  let out = supabase.from('outbound_messages').select('*').eq('session_id', sessionId).not('content_type', 'in', REP_ACTION_LIST);
  let inc = supabase.from('inbound_messages').select('*').eq('session_id', sessionId);
  if (before.outbound) out = out.lt('created_at', before.outbound);
  if (before.inbound) inc = inc.lt('received_at', before.inbound);
  const [o, i] = await Promise.all([
    out.order('created_at', { ascending: false }).limit(LIMIT),
    inc.order('received_at', { ascending: false }).limit(LIMIT),
  ]);
  if (o.error ?? i.error) return { error: (o.error ?? i.error)?.message ?? 'error' };
  const outbound = (o.data ?? []) as OutboundMessage[];
  const inbound = (i.data ?? []) as InboundMessage[];
  return { outbound, inbound, full: outbound.length === LIMIT || inbound.length === LIMIT };
}
