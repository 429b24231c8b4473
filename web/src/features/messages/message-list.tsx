import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../../i18n/index.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import type { AppSupabase } from '../../lib/supabase.ts';
import type { WhatsappContact } from '../../lib/types.ts';
import { inboundMedia, MediaView, outboundMedia } from '../media/index.ts';
import { formatTime } from '../../lib/time.ts';
import { InboundFlags } from './inbound-flags.tsx';
import { partyLabel, partyName, partyOf } from './contact-label.ts';
import type { MessageItem } from './use-messages.ts';

/** Messages the owner wrote from the phone (or another linked device) arrive as inbound rows with from_me. */
function fromPhone(item: MessageItem): boolean {
  return item.direction === 'in' && item.row.from_me;
}

function statusKey(item: MessageItem): MessageKey {
  if (item.direction === 'out') return `messages.status.${item.row.status}`;
  return item.row.from_me ? 'messages.status.fromPhone' : 'messages.status.received';
}

/** Announces status changes and new incoming messages through a polite live region. */
function useAnnouncements(items: MessageItem[], who: (item: MessageItem) => string): string {
  const { t } = useI18n();
  const seen = useRef<Map<string, string> | null>(null);
  const [text, setText] = useState('');
  useEffect(() => {
    const previous = seen.current;
    const next = new Map(items.map((item) => [item.key, item.direction === 'out' ? item.row.status : 'in']));
    seen.current = next;
    if (!previous) return;
    for (const item of items) {
      const before = previous.get(item.key);
      const now = next.get(item.key);
      if (before === now) continue;
      if (item.direction === 'in' && !item.row.from_me) setText(t('messages.announceIncoming', { who: who(item) }));
      else if (before !== undefined) setText(t('messages.announceStatus', { who: who(item), status: t(statusKey(item)) }));
      break;
    }
  }, [items, t, who]);
  return text;
}

/** `title` and `titleId` name the list (default: the recent messages of the workspace); `actions` adds buttons under each message. */
export function MessageList({ supabase, items, contacts, hasSession, title, titleId = 'recent-title', actions }: {
  supabase: AppSupabase; items: MessageItem[]; contacts: Map<string, WhatsappContact>; hasSession: boolean;
  title?: string; titleId?: string; actions?: (item: MessageItem) => ReactNode;
}) {
  const { t, lang } = useI18n();
  const numberHidden = t('messages.numberHidden');
  const who = useCallback((item: MessageItem) => partyLabel(partyOf(item, contacts), numberHidden), [contacts, numberHidden]);
  const announcement = useAnnouncements(items, who);

  return (
    <div className="message-list-wrap">
      <h3 className="section-title" id={titleId}>{title ?? t('messages.recent')}</h3>
      <p className="visually-hidden" role="status" aria-live="polite">{announcement}</p>
      {items.length === 0 ? (
        <p className="empty">{hasSession ? t('messages.empty') : t('messages.noSession')}</p>
      ) : (
        <ul className="message-list" aria-labelledby={titleId} data-testid="message-list">
          {items.map((item) => {
            const failed = item.direction === 'out' && item.row.status === 'failed';
            const status = item.direction === 'out' ? item.row.status : item.row.from_me ? 'from-phone' : 'received';
            const outgoing = item.direction === 'out' || fromPhone(item);
            const when = item.direction === 'out' ? item.row.created_at : item.row.received_at;
            const media = item.direction === 'out' ? outboundMedia(item.row) : inboundMedia(item.row);
            return (
              <li
                key={item.key}
                className={`message message-${outgoing ? 'out' : 'in'}`}
                data-direction={item.direction}
                data-status={status}
                data-message-id={String(item.row.id)}
                data-wa-message-id={item.row.wa_message_id}
              >
                <div className="message-meta">
                  <span className="message-who">
                    <span className="message-arrow" aria-hidden="true">{outgoing ? '↗' : '↙'}</span>
                    {t(outgoing ? 'messages.outgoing' : 'messages.incoming', { who: who(item) })}
                  </span>
                  <time className="message-time" dateTime={when}>{formatTime(when, lang)}</time>
                </div>
                {media && <MediaView supabase={supabase} media={media} caption={item.row.text} who={partyName(partyOf(item, contacts), numberHidden)} />}
                {(!media || item.row.text) && (
                  <p className="message-text">
                    {item.row.text ?? (item.direction === 'out' ? ''
                      : item.row.pending ? t('conversations.pending') : t('messages.nonText', { type: item.row.message_type }))}
                  </p>
                )}
                <div className="message-foot">
                  <span className={`status status-${status}`} data-testid="message-status">{t(statusKey(item))}</span>
                  {failed && item.row.error && (
                    <span className="message-error">{t('messages.failedReason', { reason: item.row.error })}</span>
                  )}
                  {item.direction === 'in' && <InboundFlags row={item.row} />}
                  {actions?.(item)}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
