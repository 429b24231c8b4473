// The send form's file picker: shows the chosen file, whether WhatsApp takes it (type and size, from
// whatsapp_media_rules) and, for Ogg audio, lets the user send it as a voice note.
import { useEffect, useId, useRef, useState } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import { useI18n } from '../../i18n/index.tsx';
import { AttachmentError, loadMediaRules, ruleFor } from './attachment.ts';
import { formatBytes } from './format.ts';
import type { MediaRule } from './media-types.ts';

export interface Attached {
  file: File;
  /** The rule it is sent under, or why it cannot be sent. */
  rule: MediaRule | AttachmentError;
}

interface AttachFieldProps {
  supabase: AppSupabase;
  disabled: boolean;
  attached: Attached | null;
  onChange: (attached: Attached | null) => void;
}

export function AttachField({ supabase, disabled, attached, onChange }: AttachFieldProps) {
  const { t } = useI18n();
  const ids = { input: useId(), hint: useId(), problem: useId(), voice: useId() };
  const input = useRef<HTMLInputElement>(null);
  const [rules, setRules] = useState<MediaRule[] | null>(null);
  const [asVoiceNote, setAsVoiceNote] = useState(false);

  useEffect(() => {
    let active = true;
    loadMediaRules(supabase).then((loaded) => active && setRules(loaded), () => active && setRules([]));
    return () => {
      active = false;
    };
  }, [supabase]);

  useEffect(() => {
    if (!attached) {
      if (input.current) input.current.value = '';
      setAsVoiceNote(false);
    }
  }, [attached]);

  const choose = (file: File | undefined, voice: boolean) => {
    if (!file || !rules) return onChange(null);
    onChange({ file, rule: ruleFor(rules, file, voice) });
  };
  const canBeVoiceNote = !!attached && !!rules?.some((r) => r.kind === 'voice' && r.mime_type === attached.file.type.split(';')[0]);
  const problem = attached?.rule instanceof AttachmentError ? attached.rule : null;

  return (
    <div className="field attach-field">
      <label htmlFor={ids.input}>{t('media.attach')}</label>
      <input
        id={ids.input}
        ref={input}
        name="attachment"
        type="file"
        disabled={disabled || rules === null}
        accept={rules ? [...new Set(rules.map((r) => r.mime_type))].join(',') : undefined}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${ids.problem} ${ids.hint}` : ids.hint}
        onChange={(e) => choose(e.target.files?.[0], asVoiceNote)}
      />
      <p id={ids.hint} className="hint">{t('media.attachHint')}</p>
      {attached && (
        <div className="attached" data-testid="attached">
          <span className="attached-name">{attached.file.name}</span>
          <span className="attached-size">{formatBytes(attached.file.size)}</span>
          {!problem && <span className="attached-kind">{t(`media.kind.${(attached.rule as MediaRule).kind}`)}</span>}
          <button type="button" className="button button-secondary button-small" onClick={() => onChange(null)}>
            {t('media.remove')}
          </button>
        </div>
      )}
      {canBeVoiceNote && (
        <label className="checkbox" htmlFor={ids.voice}>
          <input
            id={ids.voice}
            type="checkbox"
            checked={asVoiceNote}
            onChange={(e) => {
              setAsVoiceNote(e.target.checked);
              choose(attached?.file, e.target.checked);
            }}
          />
          {t('media.asVoiceNote')}
        </label>
      )}
      {problem && <p id={ids.problem} className="field-error">{t(`media.error.${problem.code}`)}</p>}
    </div>
  );
}
