// The conversations of the linked number: one entry per contact, newest last message first, named by the one
// display rule (the phone when WhatsApp gave it, else the name and "number hidden", never LID digits), with the
// unread count; choosing one shows its messages in order. Both stay live through Realtime.
import { useState } from 'react';
import { Alert } from '../../components/alert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import type { AppSupabase } from '../../lib/supabase.ts';
import { formatTime } from '../../lib/time.ts';
import type { WhatsappSession } from '../../lib/types.ts';
import { partyLabel } from '../messages/contact-label.ts';
import { MessageList } from '../messages/message-list.tsx';
import { useContacts } from '../messages/use-contacts.ts';
import type { MessageItem } from '../messages/use-messages.ts';
import { MessageActions, ReplyBox } from './message-actions.tsx';
import { useReactions } from './use-reactions.ts';
import { type Conversation, useConversations } from './use-conversations.ts';
import { useRepActions } from './use-rep-actions.ts';
import { useThread } from './use-thread.ts';
import './conversations.css';

function ConversationEntry({ conversation, label, current, onOpen }: {
  conversation: Conversation; label: string; current: boolean; onOpen: () => void;
}) {
  const { t, lang } = useI18n();
  const c = conversation;
  const unread = c.unread_count ?? 0;
  const preview = c.last_message_pending ? t('conversations.pending')
    : c.last_message_text ?? t('messages.nonText', { type: c.last_message_type ?? '' });
  return (
    <li>
      <button type="button" className={`conversation${current ? ' conversation-current' : ''}`} aria-current={current ? 'true' : undefined}
        data-contact-id={c.contact_id ?? ''} data-unread={unread} onClick={onOpen}>
        <span className="conversation-top">
          <span className="conversation-name">{label}</span>
          {c.last_message_at && <time className="message-time" dateTime={c.last_message_at}>{formatTime(c.last_message_at, lang)}</time>}
        </span>
        <span className="conversation-bottom">
          <span className="conversation-preview">{c.last_message_from_me ? t('conversations.you', { text: preview }) : preview}</span>
          {unread > 0 && <span className="conversation-unread" data-testid="unread">{t('conversations.unread', { count: unread })}</span>}
        </span>
      </button>
    </li>
  );
}

export function ConversationsPage({ supabase, session }: { supabase: AppSupabase; session: WhatsappSession | null }) {
  const { t } = useI18n();
  const { conversations, error, hasMore, showMore } = useConversations(supabase, session?.id);
  const contacts = useContacts(supabase, session?.id);
  const [openId, setOpenId] = useState<string | null>(null);
  const thread = useThread(supabase, session?.id, openId);
  const numberHidden = t('messages.numberHidden');
  const labelOf = (c: Conversation) => partyLabel({ phone: c.phone_number, name: c.display_name }, numberHidden);
  const open = conversations.find((c) => c.contact_id === openId);
  const actions = useRepActions(supabase, session?.id, t);
  const reactions = useReactions(supabase, session?.id);
  const theirReactions = reactions.theirs;
  const [quoting, setQuoting] = useState<MessageItem | null>(null);
  const openConversation = (id: string | null) => {
    setOpenId(id);
    setQuoting(null);
  };
  const sendReply = async (text: string) => {
    if (!quoting || quoting.direction !== 'in') return false;
    const phone = open?.phone_number ?? quoting.row.sender_phone;
    const contactId = open?.contact_id ?? quoting.row.contact_id;
    const ok = await actions.reply(quoting.row.wa_message_id, { phone, contactId }, text);
    if (ok) setQuoting(null);
    return ok;
  };

  return (
    <div className="conversations">
      <section className="card" aria-labelledby="conversations-title">
        <header className="card-header">
          <h2 id="conversations-title" className="card-title">{t('conversations.title')}</h2>
        </header>
        <div className="card-body">
          {error && <Alert tone="error">{error}</Alert>}
          {conversations.length === 0 ? (
            <p className="empty">{session ? t('conversations.empty') : t('messages.noSession')}</p>
          ) : (
            <ul className="conversation-list" aria-labelledby="conversations-title" data-testid="conversation-list">
              {conversations.map((c) => (
                <ConversationEntry key={c.contact_id} conversation={c} label={labelOf(c)} current={c.contact_id === openId}
                  onOpen={() => openConversation(c.contact_id)} />
              ))}
            </ul>
          )}
          {hasMore && (
            <button type="button" className="button button-secondary load-older" onClick={showMore}>{t('conversations.showMore')}</button>
          )}
        </div>
      </section>
      <section className="card" aria-labelledby="thread-title" data-testid="thread">
        <header className="card-header">
          <h2 id="thread-title" className="card-title">{open ? labelOf(open) : t('conversations.pick')}</h2>
          {open && (open.unread_count ?? 0) > 0 && (
            <button type="button" className="button button-secondary" onClick={() => void actions.markRead(open.contact_id!)}>
              {t('actions.markRead')}
            </button>
          )}
        </header>
        <div className="card-body">
          {thread.error && <Alert tone="error">{thread.error}</Alert>}
          {actions.error && <Alert tone="error">{actions.error}</Alert>}
          <p className="visually-hidden" role="status" aria-live="polite">{actions.notice ?? ''}</p>
          {open && (
            <MessageList supabase={supabase} items={thread.items} contacts={contacts} hasSession={!!session}
              title={t('conversations.threadMessages')} titleId="thread-messages-title"
              actions={(item) => (
                <>
                  {theirReactions.has(item.row.wa_message_id) && (
                    <span className="message-reaction" data-testid="contact-reaction">
                      {t('messages.theirReaction', { who: open ? open.display_name ?? labelOf(open) : '', emoji: theirReactions.get(item.row.wa_message_id)! })}
                    </span>
                  )}
                  <MessageActions item={item} actions={actions} ours={reactions.ours.get(item.row.wa_message_id)} onReply={setQuoting} />
                </>
              )} />
          )}
          {open && quoting && <ReplyBox quoting={quoting} onSend={sendReply} onCancel={() => setQuoting(null)} />}
        </div>
      </section>
    </div>
  );
}
