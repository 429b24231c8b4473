// The linking views: start (choose QR or phone number), waiting for a code, QR, pairing code, verify.
import { useId, useState, type FormEvent } from 'react';
import { useI18n } from '../../i18n/index.tsx';
import { isClearlyInvalidPhone } from '../../lib/phone.ts';
import type { WhatsappSession } from '../../lib/types.ts';
import { QrCode } from './qr-code.tsx';
import { useCountdown } from './use-countdown.ts';

interface StartStepProps {
  busy: boolean;
  pairing: boolean;
  onPairingChange: (pairing: boolean) => void;
  onStartQr: () => void;
  onStartPairing: (phone: string) => void;
}

export function StartStep(props: StartStepProps) {
  const { t } = useI18n();
  const { pairing, onPairingChange: setPairing } = props;
  const [phone, setPhone] = useState('');
  const [invalid, setInvalid] = useState(false);
  const ids = { phone: useId(), hint: useId(), error: useId() };

  function submit(event: FormEvent) {
    event.preventDefault();
    const e164 = phone.replace(/[\s().-]/g, '');
    if (!e164.startsWith('+') || isClearlyInvalidPhone(e164)) {
      setInvalid(true);
      return;
    }
    props.onStartPairing(e164);
  }

  if (pairing) {
    return (
      <form className="form link-start" onSubmit={submit} aria-label={t('connect.pairingTitle')}>
        <h3 className="section-title">{t('connect.pairingTitle')}</h3>
        <div className="field">
          <label htmlFor={ids.phone}>{t('connect.pairingPhone')}</label>
          <input
            id={ids.phone}
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            required
            pattern="\+?[0-9 \(\)\.\-]{7,20}"
            aria-invalid={invalid || undefined}
            aria-describedby={invalid ? `${ids.error} ${ids.hint}` : ids.hint}
            value={phone}
            onChange={(e) => {
              setPhone(e.target.value);
              setInvalid(false);
            }}
          />
          {invalid && (
            <p id={ids.error} className="field-error">
              {t('messages.invalidPhone')}
            </p>
          )}
          <p id={ids.hint} className="hint">{t('connect.pairingPhoneHint')}</p>
        </div>
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={props.busy}>
            {t('connect.pairingSubmit')}
          </button>
          <button type="button" className="link-button" onClick={() => setPairing(false)}>
            {t('connect.useQr')}
          </button>
        </div>
      </form>
    );
  }
  return (
    <div className="link-start">
      <p className="muted">{t('connect.intro')}</p>
      <div className="actions">
        <button type="button" className="button button-primary" disabled={props.busy} onClick={props.onStartQr}>
          {t('connect.start')}
        </button>
        <button type="button" className="link-button" onClick={() => setPairing(true)}>
          {t('connect.usePairing')}
        </button>
      </div>
    </div>
  );
}

export function Instructions() {
  const { t } = useI18n();
  return (
    <div className="instructions">
      <h3 className="section-title">{t('connect.instructionsTitle')}</h3>
      <ol>
        <li>{t('connect.instructions1')}</li>
        <li>{t('connect.instructions2')}</li>
        <li>{t('connect.instructions3')}</li>
        <li>{t('connect.instructions4')}</li>
      </ol>
    </div>
  );
}

export function Waiting({ label }: { label: string }) {
  return (
    <div className="waiting">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function QrStep({ session }: { session: WhatsappSession }) {
  const { t } = useI18n();
  const seconds = useCountdown(session.qr_expires_at);
  if (!session.qr) return <Waiting label={t('connect.generating')} />;
  return (
    <div className="qr-step">
      <div className="qr-frame">
        <QrCode value={session.qr} label={t('connect.qrAlt')} />
        <p className="qr-countdown" data-testid="qr-countdown">
          {seconds === null || seconds > 0 ? t('connect.qrExpiresIn', { seconds: seconds ?? '…' }) : t('connect.qrRefreshing')}
        </p>
      </div>
      <Instructions />
    </div>
  );
}

export function PairingStep({ session }: { session: WhatsappSession }) {
  const { t } = useI18n();
  const code = session.pairing_code ?? '';
  const shown = code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
  return (
    <div className="pairing-step">
      <p className="section-title">{t('connect.pairingCodeLabel')}</p>
      <p className="pairing-code" data-testid="pairing-code" data-pairing-code={code}>
        {shown}
      </p>
      <p className="muted">{t('connect.pairingInstructions')}</p>
    </div>
  );
}
