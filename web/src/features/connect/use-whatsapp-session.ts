// The signed-in user's WhatsApp session row, kept live by Realtime (UPDATE on id=eq.<session id>).
// Subscribe first, then (re)read the row once the channel is joined, so no change falls in the gap.
import { useCallback, useEffect, useState } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import type { WhatsappSession } from '../../lib/types.ts';
import { channelName } from '../../lib/supabase.ts';
import { parseTimestamp } from '../../lib/time.ts';

export interface SessionState {
  session: WhatsappSession | null;
  loading: boolean;
  error: string | null;
  /** Adopt a row returned by the API (e.g. a new link) without waiting for Realtime. */
  adopt: (row: WhatsappSession) => void;
}

function newer(current: WhatsappSession | null, next: WhatsappSession): WhatsappSession {
  if (!current || current.id !== next.id) return next;
  return parseTimestamp(next.updated_at) >= parseTimestamp(current.updated_at) ? next : current;
}

export function useWhatsappSession(supabase: AppSupabase, userId: string): SessionState {
  const [session, setSession] = useState<WhatsappSession | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const adopt = useCallback((row: WhatsappSession) => setSession((current) => newer(current, row)), []);

  // The latest session of the user, and new ones created elsewhere (another tab, the CRM).
  useEffect(() => {
    let active = true;
    const channel = supabase
      .channel(channelName(`wl-sessions-${userId}`))
      .on(
        'postgres_changes',
        { event: 'INSERT', schema: 'public', table: 'whatsapp_sessions', filter: `user_id=eq.${userId}` },
        (payload) => {
          const row = payload.new as WhatsappSession;
          setSession((current) =>
            !current || parseTimestamp(row.created_at) >= parseTimestamp(current.created_at) ? newer(current, row) : current,
          );
        },
      )
      .subscribe();

    void supabase
      .from('whatsapp_sessions')
      .select('*')
      .eq('user_id', userId)
      .order('created_at', { ascending: false })
      .limit(1)
      .maybeSingle<WhatsappSession>()
      .then(({ data, error: readError }) => {
        if (!active) return;
        if (readError) setError(readError.message);
        else if (data) setSession((current) => (current && parseTimestamp(current.created_at) > parseTimestamp(data.created_at) ? current : newer(current, data)));
        setLoading(false);
      });

    return () => {
      active = false;
      void supabase.removeChannel(channel);
    };
  }, [supabase, userId]);

  const sessionId = session?.id;
  useEffect(() => {
    if (!sessionId) return undefined;
    let active = true;
    const channel = supabase
      .channel(channelName(`wl-session-${sessionId}`))
      .on(
        'postgres_changes',
        { event: 'UPDATE', schema: 'public', table: 'whatsapp_sessions', filter: `id=eq.${sessionId}` },
        (payload) => {
          if (active) adopt(payload.new as WhatsappSession);
        },
      )
      .subscribe((status) => {
        if (status !== 'SUBSCRIBED') return;
        void supabase
          .from('whatsapp_sessions')
          .select('*')
          .eq('id', sessionId)
          .maybeSingle<WhatsappSession>()
          .then(({ data }) => {
            if (active && data) adopt(data);
          });
      });
    return () => {
      active = false;
      void supabase.removeChannel(channel);
    };
  }, [supabase, sessionId, adopt]);

  return { session, loading, error, adopt };
}
