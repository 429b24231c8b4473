// The buttons under a message of the open conversation, as on the phone: react (or take our reaction back) and
// reply to the contact's messages; edit and delete for everyone the messages sent from here once WhatsApp has
// them. The reply box sits under the thread.
import { useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { SENT_OUTBOUND_STATUSES, type OutboundStatus } from '../../lib/types.ts';
import type { MessageItem } from '../messages/use-messages.ts';
import type { useRepActions } from './use-rep-actions.ts';

type RepActions = ReturnType<typeof useRepActions>;
/** on WhatsApp: what an edit or a delete for everyone needs (the schema's is_sent_outbound_status) */
const ON_WHATSAPP: readonly OutboundStatus[] = SENT_OUTBOUND_STATUSES;

function EditForm({ initial, onSave, onCancel }: { initial: string; onSave: (text: string) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) onSave(text);
  };
  return (
    <form className="action-form" onSubmit={submit}>
      <label className="visually-hidden" htmlFor="edit-text">{t('actions.editText')}</label>
      <input id="edit-text" className="input" value={text} onChange={(e) => setText(e.target.value)} maxLength={4096} />
      <button type="submit" className="button button-small">{t('actions.saveEdit')}</button>
      <button type="button" className="button button-small button-secondary" onClick={onCancel}>{t('actions.cancel')}</button>
    </form>
  );
}

export function MessageActions({ item, actions, ours, onReply }: {
  item: MessageItem; actions: RepActions; ours: string | undefined; onReply: (item: MessageItem) => void;
}) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const waId = item.row.wa_message_id;
  if (item.direction === 'in') {
    if (item.row.from_me || item.row.deleted_at) return null;
    return (
      <span className="message-actions">
        {ours ? (
          <>
            <span className="message-reaction" data-testid="our-reaction">{t('actions.yourReaction', { emoji: ours })}</span>
            <button type="button" className="button-link" onClick={() => void actions.act({ content_type: 'reaction', target: waId, text: '' })}>
              {t('actions.removeReaction')}
            </button>
          </>
        ) : (
          <button type="button" className="button-link" onClick={() => void actions.act({ content_type: 'reaction', target: waId, text: '👍' })}>
            {t('actions.react')}
          </button>
        )}
        <button type="button" className="button-link" onClick={() => onReply(item)}>{t('actions.reply')}</button>
      </span>
    );
  }
  const row = item.row;
  if (row.deleted_at) return <span className="message-flag" data-testid="deleted">{t('actions.deleted')}</span>;
  const actionable = row.content_type === 'text' && ON_WHATSAPP.includes(row.status);
  return (
    <span className="message-actions">
      {row.edited_at && <span className="message-flag" data-testid="edited">{t('actions.edited')}</span>}
      {actionable && !editing && (
        <>
          <button type="button" className="button-link" onClick={() => setEditing(true)}>{t('actions.edit')}</button>
          <button type="button" className="button-link" onClick={() => setConfirming(true)}>{t('actions.delete')}</button>
        </>
      )}
      {editing && (
        <EditForm initial={row.text ?? ''} onCancel={() => setEditing(false)}
          onSave={(text) => void actions.act({ content_type: 'edit', target: waId, text }).then((ok) => ok && setEditing(false))} />
      )}
      <ConfirmDialog open={confirming} title={t('actions.deleteTitle')} body={t('actions.deleteBody')} destructive
        confirmLabel={t('actions.delete')} cancelLabel={t('actions.cancel')} onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          void actions.act({ content_type: 'revoke', target: waId, text: null });
        }} />
    </span>
  );
}

export function ReplyBox({ quoting, onSend, onCancel }: { quoting: MessageItem; onSend: (text: string) => Promise<boolean>; onCancel: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() && (await onSend(text))) setText('');
  };
  return (
    <form className="reply-box" onSubmit={(e) => void submit(e)} aria-label={t('actions.reply')}>
      <p className="reply-quote">{t('actions.replyingTo', { text: quoting.row.text ?? '' })}</p>
      <label htmlFor="reply-text">{t('actions.replyText')}</label>
      <textarea id="reply-text" className="input" rows={2} value={text} onChange={(e) => setText(e.target.value)} maxLength={4096} />
      <div className="reply-buttons">
        <button type="submit" className="button">{t('actions.sendReply')}</button>
        <button type="button" className="button button-secondary" onClick={onCancel}>{t('actions.cancel')}</button>
      </div>
    </form>
  );
}
