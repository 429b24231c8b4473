// What the rep does to a message of the open conversation, written as the user through the Data API (RLS and
// column grants): each is an outbound_messages row the connector sends (react, edit, delete for everyone,
// reply quoting), or mark_conversation_read for the whole chat. The insert trigger refuses what WhatsApp would
// refuse; its hint (target_not_found, edit_window_passed, ...) picks the message shown. Which reactions are ours
// is use-reactions.ts' (message_reactions by from_me).
import { useCallback, useState } from 'react';
import type { Translate } from '../../i18n/index.tsx';
import type { AppSupabase } from '../../lib/supabase.ts';
import { REP_ACTION_REFUSALS } from '../../lib/types.ts';

type Refusal = (typeof REP_ACTION_REFUSALS)[number];
const isRefusal = (hint: string): hint is Refusal => (REP_ACTION_REFUSALS as readonly string[]).includes(hint);

/** The schema's refusal (generated from its functions), in the user's language: a refusal without a translation fails tsc. */
export function describeRefusal(error: { hint?: string | null; message?: string }, t: Translate): string {
  const hint = error.hint ?? '';
  return isRefusal(hint) ? t(`actions.error.${hint}`) : (error.message ?? t('error.generic'));
}

type Action = { content_type: 'reaction' | 'edit' | 'revoke'; target: string; text: string | null };

export function useRepActions(supabase: AppSupabase, sessionId: string | undefined, t: Translate) {
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

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

  return { error, notice, act, reply, markRead };
}
