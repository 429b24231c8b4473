// The conversations of one session (the whatsapp_conversations view under RLS: one row per contact, its last
// message, unread count), newest last message first, ties by contact id (the order of GET /conversations).
// A view is not in the Realtime publication: any change to the session's messages or contacts re-reads the
// list (coalesced), so a new message moves its conversation to the top and a merge or a phone learned later
// shows at once. Loaded once the channel is joined, like the messages.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Tables } from '../../../../supabase/functions/_shared/database.types.ts';
import type { AppSupabase } from '../../lib/supabase.ts';
import { channelName } from '../../lib/supabase.ts';

const PAGE = 50;

export type Conversation = Pick<Tables<'whatsapp_conversations'>,
  | 'contact_id' | 'phone_number' | 'number_hidden' | 'display_name' | 'last_message_text' | 'last_message_type'
  | 'last_message_from_me' | 'last_message_pending' | 'last_message_at' | 'unread_count'>;

export interface ConversationsState {
  conversations: Conversation[];
  error: string | null;
  hasMore: boolean;
  showMore: () => void;
}

export function useConversations(supabase: AppSupabase, sessionId: string | undefined): ConversationsState {
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [limit, setLimit] = useState(PAGE);
  const limitRef = useRef(limit);
  limitRef.current = limit;

  useEffect(() => {
    setConversations([]);
    setError(null);
    if (!sessionId) return undefined;
    let active = true;
    let running = false;
    let again = false;
    // one read at a time; changes during a read cause exactly one more
    const load = async () => {
      if (running) { again = true; return; }
      running = true;
      try {
        do {
          again = false;
          const { data, error: failed } = await supabase.from('whatsapp_conversations')
            .select('contact_id,phone_number,number_hidden,display_name,last_message_text,last_message_type,last_message_from_me,last_message_pending,last_message_at,unread_count')
            .eq('session_id', sessionId).order('last_message_at', { ascending: false }).order('contact_id', { ascending: true })
            .limit(limitRef.current + 1);
          if (!active) return;
          if (failed) setError(failed.message);
          else {
            setError(null);
            setConversations(data ?? []);
          }
        } while (again && active);
      } finally {
        running = false;
      }
    };
    const filter = `session_id=eq.${sessionId}`;
    const changed = () => { if (active) void load(); };
    const channel = supabase
      .channel(channelName(`wl-conversations-${sessionId}`))
      .on('postgres_changes', { event: '*', schema: 'public', table: 'inbound_messages', filter }, changed)
      .on('postgres_changes', { event: '*', schema: 'public', table: 'outbound_messages', filter }, changed)
      .on('postgres_changes', { event: '*', schema: 'public', table: 'whatsapp_contacts', filter }, changed)
      .subscribe((status) => {
        if (status === 'SUBSCRIBED') void load();
      });
    void load();
    return () => {
      active = false;
      void supabase.removeChannel(channel);
    };
  }, [supabase, sessionId, limit]);

  const showMore = useCallback(() => setLimit((current) => current + PAGE), []);
  return { conversations: conversations.slice(0, limit), error, hasMore: conversations.length > limit, showMore };
}
