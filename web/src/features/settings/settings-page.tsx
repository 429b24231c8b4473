import { useEffect, useId, useState, type FormEvent } from 'react';
import { Alert } from '../../components/alert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { ApiError } from '../../lib/api.ts';
import { describeError } from '../../lib/errors.ts';
import type { Translate } from '../../i18n/index.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { getSettings, rotateWebhookSecret, saveSettings, WEBHOOK_EVENT_TYPES, type MessagingSettings } from '../../lib/settings-api.ts';
import type { AppSupabase } from '../../lib/supabase.ts';
import { formFromSettings, settingsFromForm, type SettingsForm, type TriState } from './settings-form-state.ts';

// The API names the offending key first ("config.pacing.jitter_ms: …"); the user sees the field's own label.
const fieldLabels: Record<string, MessageKey> = {
  name: 'settings.name',
  'config.pacing.min_interval_ms': 'settings.minInterval',
  'config.pacing.jitter_ms': 'settings.jitter',
  'config.default_country': 'settings.defaultCountry',
  'config.media_max_bytes': 'settings.mediaMax',
  'config.webhook.url': 'settings.webhookUrl',
};

function describeSaveError(caught: unknown, t: Translate): string {
  if (caught instanceof ApiError && (caught.code === 'validation_failed' || caught.code === 'invalid_settings')) {
    const label = fieldLabels[caught.message.split(':')[0]!.trim()];
    if (label) return t('settings.invalidValue', { field: t(label) });
  }
  return describeError(caught, t);
}

export function SettingsPage({ supabase }: { supabase: AppSupabase }) {
  const { t } = useI18n();
  const [loaded, setLoaded] = useState<MessagingSettings | null>(null);
  const [form, setForm] = useState<SettingsForm | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    getSettings(supabase).then((s) => {
      if (!live) return;
      setLoaded(s);
      setForm(formFromSettings(s));
    }, (caught) => live && setError(describeError(caught, t)));
    return () => { live = false; };
  }, [supabase, t]);

  const update = <K extends keyof SettingsForm>(key: K, value: SettingsForm[K]) => {
    setForm((f) => (f ? { ...f, [key]: value } : f));
    setNotice(null);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!form) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const saved = await saveSettings(supabase, settingsFromForm(form));
      setLoaded(saved);
      setForm(formFromSettings(saved));
      if (saved.webhook_secret.value) setSecret(saved.webhook_secret.value);
      setNotice(t('settings.saved'));
    } catch (caught) {
      setError(describeSaveError(caught, t));
    } finally {
      setBusy(false);
    }
  }

  async function rotate() {
    setBusy(true);
    setError(null);
    try {
      const { secret: value, created_at } = await rotateWebhookSecret(supabase);
      setSecret(value);
      setLoaded((s) => (s ? { ...s, webhook_secret: { set: true, created_at } } : s));
    } catch (caught) {
      setError(describeError(caught, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card settings-card" aria-labelledby="settings-title">
      <header className="card-header">
        <h2 id="settings-title" className="card-title">{t('settings.title')}</h2>
      </header>
      <div className="card-body">
        <p className="muted">{t('settings.intro')}</p>
        {!form && !error && <p className="loading" role="status">{t('app.loading')}</p>}
        {form && (
          <form className="form settings-form" onSubmit={submit}>
            <fieldset className="settings-group">
              <legend className="section-title">{t('settings.general')}</legend>
              <TextField label={t('settings.name')} value={form.name} onChange={(v) => update('name', v)} maxLength={100} />
              <Checkbox label={t('settings.active')} hint={t('settings.activeHint')} checked={form.active} onChange={(v) => update('active', v)} />
            </fieldset>
            <fieldset className="settings-group">
              <legend className="section-title">{t('settings.sending')}</legend>
              <TextField label={t('settings.minInterval')} hint={t('settings.defaultHint')} value={form.minIntervalMs}
                onChange={(v) => update('minIntervalMs', v)} inputMode="numeric" />
              <TextField label={t('settings.jitter')} hint={t('settings.defaultHint')} value={form.jitterMs}
                onChange={(v) => update('jitterMs', v)} inputMode="numeric" />
              <TextField label={t('settings.defaultCountry')} hint={t('settings.defaultCountryHint')} value={form.defaultCountry}
                onChange={(v) => update('defaultCountry', v)} maxLength={2} />
              <TriSelect label={t('settings.typing')} hint={t('settings.typingHint')} value={form.typingIndicator}
                onChange={(v) => update('typingIndicator', v)} />
            </fieldset>
            <fieldset className="settings-group">
              <legend className="section-title">{t('settings.receiving')}</legend>
              <TriSelect label={t('settings.historyImport')} hint={t('settings.historyImportHint')} value={form.historyImport}
                onChange={(v) => update('historyImport', v)} />
              <TextField label={t('settings.mediaMax')} hint={t('settings.defaultHint')} value={form.mediaMaxMb}
                onChange={(v) => update('mediaMaxMb', v)} inputMode="decimal" />
            </fieldset>
            <fieldset className="settings-group">
              <legend className="section-title">{t('settings.webhook')}</legend>
              <TextField label={t('settings.webhookUrl')} hint={t('settings.webhookUrlHint')} value={form.webhookUrl}
                onChange={(v) => update('webhookUrl', v)} type="url" />
              <Checkbox label={t('settings.webhookEnabled')} checked={form.webhookEnabled} onChange={(v) => update('webhookEnabled', v)} />
              <div className="field">
                <span className="field-label">{t('settings.webhookEvents')}</span>
                <div className="checkbox-row">
                  {WEBHOOK_EVENT_TYPES.map((type) => (
                    <Checkbox key={type} label={type} checked={form.webhookEvents.includes(type)}
                      onChange={(on) => update('webhookEvents', on ? [...form.webhookEvents, type] : form.webhookEvents.filter((e) => e !== type))} />
                  ))}
                </div>
              </div>
              <p className="hint" data-testid="webhook-secret-state">
                {loaded?.webhook_secret.set ? t('settings.secretSet', { date: new Date(loaded.webhook_secret.created_at ?? '').toLocaleString() }) : t('settings.secretNone')}
              </p>
              {secret && (
                <Alert tone="info">
                  <span>{t('settings.secretOnce')}</span> <code className="secret" data-testid="webhook-secret">{secret}</code>
                </Alert>
              )}
              <div className="actions">
                <button type="button" className="button button-secondary" disabled={busy} onClick={() => void rotate()}>
                  {t('settings.rotateSecret')}
                </button>
              </div>
            </fieldset>
            {error && <Alert tone="error">{error}</Alert>}
            {notice && <Alert tone="success">{notice}</Alert>}
            <div className="actions">
              <button type="submit" className="button button-primary" disabled={busy}>{busy ? t('settings.saving') : t('settings.save')}</button>
            </div>
          </form>
        )}
        {!form && error && <Alert tone="error">{error}</Alert>}
      </div>
    </section>
  );
}

interface FieldProps<T> {
  label: string;
  hint?: string;
  value: T;
  onChange: (value: T) => void;
}

function TextField({ label, hint, value, onChange, ...input }: FieldProps<string> & {
  maxLength?: number; inputMode?: 'numeric' | 'decimal'; type?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={input.type ?? 'text'} inputMode={input.inputMode} maxLength={input.maxLength} value={value}
        aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => onChange(e.target.value)} />
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
    </div>
  );
}

function Checkbox({ label, hint, checked, onChange }: { label: string; hint?: string; checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId();
  return (
    <div className="field checkbox-field">
      <label htmlFor={id}>
        <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)}
          aria-describedby={hint ? `${id}-hint` : undefined} /> {label}
      </label>
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
    </div>
  );
}

function TriSelect({ label, hint, value, onChange }: FieldProps<TriState>) {
  const { t } = useI18n();
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => onChange(e.target.value as TriState)}>
        <option value="default">{t('settings.useDefault')}</option>
        <option value="on">{t('settings.on')}</option>
        <option value="off">{t('settings.off')}</option>
      </select>
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
    </div>
  );
}
