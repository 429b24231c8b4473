// The "WhatsApp connection" card: the four linking steps, live from the session row, and the
// actions for each state (connect, pairing code, cancel, reconnect, disconnect, log out, retry).
import { useEffect, useRef, useState } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import { Alert } from '../../components/alert.tsx';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { requestLink, sendSessionCommand, type LinkRequest } from '../../lib/api.ts';
import { describeError } from '../../lib/errors.ts';
import { formatPhone } from '../../lib/phone.ts';
import { ACTIVE_SESSION_STATUSES, type SessionStatus, type WhatsappSession } from '../../lib/types.ts';
import { PairingStep, QrStep, StartStep, Waiting } from './link-steps.tsx';
import { EndedBody, ReconnectingBody, SessionDetails } from './session-status.tsx';
import { Stepper } from './stepper.tsx';
import type { SessionState } from './use-whatsapp-session.ts';
import { deriveView, offersPairingInstead, statusLabelKey, statusTone, stepFor } from './view.ts';

type Confirm = 'disconnect' | 'logout' | null;

/** Link again the way the ended session was linked (a pairing code needs its phone number). */
function retryRequest(session: WhatsappSession): LinkRequest {
  const phone = session.pairing_phone ?? session.phone_number;
  return session.link_method === 'pairing_code' && phone ? { method: 'pairing_code', phone } : { method: 'qr' };
}

export function ConnectPanel({ supabase, state }: { supabase: AppSupabase; state: SessionState }) {
  const { t } = useI18n();
  const { session, loading, error: loadError, adopt } = state;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<Confirm>(null);
  const [dismissedId, setDismissedId] = useState<string | null>(null);
  const [pairingMode, setPairingMode] = useState(false);
  const sawCode = useRef(new Set<string>());

  if (session && (session.status === 'qr' || session.status === 'pairing_code')) sawCode.current.add(session.id);
  const view = deriveView(session, loading, !!session && sawCode.current.has(session.id), session?.id === dismissedId);
  const statusText = t(statusLabelKey(view, session?.status));
  // A cancelled link keeps its slot until the connector has closed it: a new link waits for that.
  const cancelling = !!session && session.id === dismissedId && (ACTIVE_SESSION_STATUSES as readonly SessionStatus[]).includes(session.status);

  const [announcement, setAnnouncement] = useState('');
  useEffect(() => {
    if (view !== 'loading') setAnnouncement(t('connect.announce', { status: statusText }));
  }, [view, statusText, t]);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(describeError(caught, t));
    } finally {
      setBusy(false);
    }
  }

  const startLink = (request: LinkRequest) =>
    run(async () => {
      const row = await requestLink(supabase, request);
      setDismissedId(null);
      adopt(row);
    });

  const command = (name: 'reconnect' | 'disconnect' | 'logout', current: WhatsappSession) =>
    run(async () => {
      await sendSessionCommand(supabase, current.id, name);
    });

  const cancelLink = (current: WhatsappSession) =>
    run(async () => {
      await sendSessionCommand(supabase, current.id, 'logout');
      setDismissedId(current.id);
    });

  function confirmAction() {
    const action = confirm;
    setConfirm(null);
    if (session && action) void command(action, session);
  }

  const tone = statusTone(view, session?.status);
  const linking = view === 'start' || view === 'generating' || view === 'qr' || view === 'pairing' || view === 'verifying' || view === 'connected';

  return (
    <section className="card connect-card" aria-labelledby="connect-title" data-testid="connect-panel" data-status={session?.status ?? 'none'} data-view={view}>
      <header className="card-header">
        <h2 id="connect-title" className="card-title">{t('connect.title')}</h2>
        {view !== 'loading' && (
          <span className={`badge badge-${tone}`} data-testid="connection-status">
            <span className="badge-dot" aria-hidden="true" />
            {statusText}
          </span>
        )}
      </header>
      <p className="visually-hidden" role="status" aria-live="polite">{announcement}</p>

      {linking && <Stepper current={stepFor(view)} method={view === 'start' ? (pairingMode ? 'pairing_code' : 'qr') : session?.link_method} />}

      <div className="card-body">
        {view === 'loading' && <Waiting label={t('app.loading')} />}
        {view === 'start' && (
          <StartStep
            busy={busy || cancelling}
            pairing={pairingMode}
            onPairingChange={setPairingMode}
            onStartQr={() => void startLink({ method: 'qr' })}
            onStartPairing={(phone) => void startLink({ method: 'pairing_code', phone })}
          />
        )}
        {view === 'generating' && <Waiting label={t('connect.generating')} />}
        {view === 'qr' && session && <QrStep session={session} />}
        {view === 'pairing' && session && <PairingStep session={session} />}
        {view === 'verifying' && <Waiting label={t('connect.verifying')} />}
        {view === 'connecting' && session && (
          <>
            <Waiting label={t('connect.connecting')} />
            <SessionDetails session={session} />
          </>
        )}
        {view === 'connected' && session && (
          <>
            <p className="connected-headline">{t('connect.connectedAs', { phone: formatPhone(session.phone_number) })}</p>
            <SessionDetails session={session} />
          </>
        )}
        {view === 'reconnecting' && session && <ReconnectingBody session={session} />}
        {view === 'disconnected' && session && (
          <>
            <p>{t('connect.disconnectedBody')}</p>
            <SessionDetails session={session} />
          </>
        )}
        {view === 'ended' && session && <EndedBody session={session} />}

        {(error ?? loadError) && <Alert tone="error">{error ?? loadError}</Alert>}
      </div>

      {session && view !== 'start' && view !== 'loading' && (
        <footer className="card-footer actions">
          {(view === 'generating' || view === 'qr' || view === 'pairing' || view === 'verifying') && (
            <button type="button" className="button button-secondary" disabled={busy} onClick={() => void cancelLink(session)}>
              {t('connect.cancel')}
            </button>
          )}
          {view === 'disconnected' && (
            <button type="button" className="button button-primary" disabled={busy} onClick={() => void command('reconnect', session)}>
              {t('connect.reconnect')}
            </button>
          )}
          {(view === 'connected' || view === 'reconnecting' || view === 'connecting') && (
            <button type="button" className="button button-secondary" disabled={busy} onClick={() => setConfirm('disconnect')}>
              {t('connect.disconnect')}
            </button>
          )}
          {(view === 'connected' || view === 'reconnecting' || view === 'connecting' || view === 'disconnected') && (
            <button type="button" className="button button-danger-outline" disabled={busy} onClick={() => setConfirm('logout')}>
              {t('connect.logout')}
            </button>
          )}
          {view === 'ended' && offersPairingInstead(session.status) && (
            <button type="button" className="button button-primary" disabled={busy} onClick={() => {
              setPairingMode(true);
              setDismissedId(session.id);
            }}>
              {t('connect.usePairingInstead')}
            </button>
          )}
          {view === 'ended' && (
            <button
              type="button"
              className={offersPairingInstead(session.status) ? 'button button-secondary' : 'button button-primary'}
              disabled={busy}
              onClick={() => void startLink(offersPairingInstead(session.status) ? { method: 'qr' } : retryRequest(session))}
            >
              {session.status === 'failed' || session.status === 'expired' || offersPairingInstead(session.status) ? t('connect.retry') : t('connect.linkAgain')}
            </button>
          )}
        </footer>
      )}

      <ConfirmDialog
        open={confirm !== null}
        title={confirm === 'logout' ? t('connect.confirmLogoutTitle') : t('connect.confirmDisconnectTitle')}
        body={confirm === 'logout' ? t('connect.confirmLogoutBody') : t('connect.confirmDisconnectBody')}
        confirmLabel={confirm === 'logout' ? t('connect.logout') : t('connect.disconnect')}
        cancelLabel={t('connect.cancel')}
        destructive={confirm === 'logout'}
        onConfirm={confirmAction}
        onCancel={() => setConfirm(null)}
      />
    </section>
  );
}
