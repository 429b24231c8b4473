// What the rep does to a message of the open conversation, written as the user through the Data API (RLS and
// column grants): each is an outbound_messages row the connector sends (react, edit, delete for everyone,
// reply quoting), or mark_conversation_read for the whole chat. The insert trigger refuses what WhatsApp would
// refuse; its hint (target_not_found, edit_window_passed, ...) picks the message shown. Our own reactions are
// read from message_reactions, then kept live from our reaction rows reaching WhatsApp (their Realtime updates).
import { useCallback, useEffect, useState } from 'react';
import type { MessageKey } from '../../i18n/en.ts';
import type { Translate } from '../../i18n/index.tsx';
import type { AppSupabase } from '../../lib/supabase.ts';
import { channelName } from '../../lib/supabase.ts';

const KNOWN_REFUSALS = ['target_not_found', 'not_your_message', 'target_not_sent', 'target_deleted', 'edit_window_passed',
  'delete_window_passed', 'recipient_unknown', 'quoted_not_found'] as const;

export function describeRefusal(error: { hint?: string | null; message?: string }, t: Translate): string {
  const hint = error.hint ?? '';
  return (KNOWN_REFUSALS as readonly string[]).includes(hint) ? t(`actions.error.${hint}` as MessageKey) : (error.message ?? t('error.generic'));
}

type Action = { content_type: 'reaction' | 'edit' | 'revoke'; target: string; text: string | null };

export function useRepActions(supabase: AppSupabase, sessionId: string | undefined, t: Translate) {
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [ourReactions, setOurReactions] = useState(() => new Map<string, string>());

  useEffect(() => {
    setOurReactions(new Map());
    if (!sessionId) return undefined;
    let active = true;
    const load = async () => {
      const { data } = await supabase.from('message_reactions').select('wa_message_id, emoji').eq('session_id', sessionId).eq('from_me', true);
      if (active && data) setOurReactions(new Map(data.map((r) => [r.wa_message_id, r.emoji])));
    };
    // live: our reaction rows reaching WhatsApp (the same transaction records them in message_reactions)
    const onAction = (row: { content_type: string; status: string; target_wa_message_id: string | null; text: string | null }) => {
      if (!active || row.content_type !== 'reaction' || !row.target_wa_message_id || !['sent', 'delivered', 'read'].includes(row.status)) return;
      const target = row.target_wa_message_id;
      setOurReactions((current) => {
        const next = new Map(current);
        if (row.text) next.set(target, row.text);
        else next.delete(target);
        return next;
      });
    };
    const channel = supabase.channel(channelName(`wl-reactions-${sessionId}`))
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'outbound_messages', filter: `session_id=eq.${sessionId}` },
        (p) => onAction(p.new as Parameters<typeof onAction>[0]))
      .subscribe((status) => { if (status === 'SUBSCRIBED') void load(); });
    void load();
    return () => {
      active = false;
      void supabase.removeChannel(channel);
    };
  }, [supabase, sessionId]);

  const done = useCallback((failure: { hint?: string | null; message?: string } | null) => {
    setError(failure ? describeRefusal(failure, t) : null);
    setNotice(failure ? null : t('actions.queued'));
    return !failure;
  }, [t]);

  const act = useCallback(async ({ content_type, target, text }: Action) => {
    if (!sessionId) return false;
    const { error: failure } = await supabase.from('outbound_messages')
      .insert({ session_id: sessionId, content_type, target_wa_message_id: target, text } as never);
    return done(failure);
  }, [supabase, sessionId, done]);

  /** To the phone when known, else to the contact (the insert trigger addresses a number-hidden contact at its LID). */
  const reply = useCallback(async (quoted: string, to: { phone: string | null; contactId: string | null }, text: string) => {
    if (!sessionId) return false;
    if (!to.phone && !to.contactId) return done({ hint: 'recipient_unknown' });
    const party = to.phone ? { recipient: to.phone } : { contact_id: to.contactId };
    const { error: failure } = await supabase.from('outbound_messages')
      .insert({ session_id: sessionId, ...party, text, quoted_wa_message_id: quoted } as never);
    return done(failure);
  }, [supabase, sessionId, done]);

  const markRead = useCallback(async (contactId: string) => {
    const { error: failure } = await supabase.rpc('mark_conversation_read', { p_contact_id: contactId });
    return done(failure);
  }, [supabase, done]);

  return { error, notice, ourReactions, act, reply, markRead };
}
