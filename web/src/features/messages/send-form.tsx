import { useId, useRef, useState, type FormEvent } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import { Alert } from '../../components/alert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { sendMessage } from '../../lib/api.ts';
import { describeError } from '../../lib/errors.ts';
import { isClearlyInvalidPhone } from '../../lib/phone.ts';
import type { OutboundMessage } from '../../lib/types.ts';
import { AttachField, AttachmentError, sendAttachment, type Attached } from '../media/index.ts';

interface SendFormProps {
  supabase: AppSupabase;
  sessionId: string | undefined;
  canSend: boolean;
  onQueued: (row: OutboundMessage) => void;
}

export function SendForm({ supabase, sessionId, canSend, onQueued }: SendFormProps) {
  const { t } = useI18n();
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [toInvalid, setToInvalid] = useState(false);
  const [attached, setAttached] = useState<Attached | null>(null);
  const toRef = useRef<HTMLInputElement>(null);
  const ids = { to: useId(), toHint: useId(), toError: useId(), text: useId(), title: useId(), disabled: useId() };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!canSend || !sessionId) return;
    if (isClearlyInvalidPhone(to)) {
      setToInvalid(true);
      toRef.current?.focus();
      return;
    }
    if (attached?.rule instanceof AttachmentError) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const row = attached
        ? await sendAttachment(supabase, { sessionId, to, caption: text, file: attached.file, rule: attached.rule })
        : await sendMessage(supabase, { session_id: sessionId, to: to.trim(), text, idempotency_key: crypto.randomUUID() });
      onQueued(row);
      setText('');
      setAttached(null);
      setNotice(t('messages.queued'));
    } catch (caught) {
      setError(caught instanceof AttachmentError ? t(`media.error.${caught.code}`) : describeError(caught, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form send-form" onSubmit={submit} aria-labelledby={ids.title}>
      <h3 id={ids.title} className="section-title">{t('messages.sendTitle')}</h3>
      {!canSend && (
        <p id={ids.disabled} className="inline-note">
          {t('messages.needsConnection')}
        </p>
      )}
      <div className="field">
        <label htmlFor={ids.to}>{t('messages.to')}</label>
        <input
          id={ids.to}
          name="to"
          type="tel"
          inputMode="tel"
          autoComplete="off"
          required
          ref={toRef}
          aria-invalid={toInvalid || undefined}
          aria-describedby={toInvalid ? `${ids.toError} ${ids.toHint}` : ids.toHint}
          value={to}
          onChange={(e) => {
            setTo(e.target.value);
            setToInvalid(false);
            setNotice(null);
          }}
        />
        {toInvalid && (
          <p id={ids.toError} className="field-error">
            {t('messages.invalidPhone')}
          </p>
        )}
        <p id={ids.toHint} className="hint">{t('messages.toHint')}</p>
      </div>
      <div className="field">
        <label htmlFor={ids.text}>{t('messages.text')}</label>
        <textarea
          id={ids.text}
          name="text"
          required={!attached}
          rows={3}
          maxLength={4096}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setNotice(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit();
          }}
        />
      </div>
      <AttachField supabase={supabase} disabled={busy || !canSend} attached={attached} onChange={(next) => {
        setAttached(next);
        setNotice(null);
      }} />
      {error && <Alert tone="error">{error}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
      <div className="actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={busy || !canSend || attached?.rule instanceof AttachmentError}
          aria-describedby={canSend ? undefined : ids.disabled}
        >
          {busy ? t('messages.sending') : t('messages.send')}
        </button>
      </div>
    </form>
  );
}
