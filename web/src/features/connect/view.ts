import type { SessionStatus, WhatsappSession } from '../../lib/types.ts';
import type { MessageKey } from '../../i18n/en.ts';

export type ConnectView =
  | 'loading' | 'start' | 'generating' | 'qr' | 'pairing' | 'verifying' | 'connecting'
  | 'connected' | 'reconnecting' | 'disconnected' | 'ended';

/**
 * What the panel shows for a session row. `sawCode` says whether this page saw the session show a
 * QR or pairing code, which tells "connecting after a scan" (verify) from "connecting before a code".
 */
export function deriveView(session: WhatsappSession | null, loading: boolean, sawCode: boolean, dismissed: boolean): ConnectView {
  if (loading && !session) return 'loading';
  if (!session || (dismissed && session.status !== 'connected')) return 'start';
  switch (session.status) {
    case 'new':
      return 'generating';
    case 'connecting':
      if (sawCode) return 'verifying';
      // A session linked before (a reconnect, a connector restart) connects without any code.
      return session.phone_number ? 'connecting' : 'generating';
    case 'qr':
      return 'qr';
    case 'pairing_code':
      return 'pairing';
    case 'connected':
      return 'connected';
    case 'reconnecting':
      return 'reconnecting';
    case 'disconnected':
      return 'disconnected';
    default:
      return 'ended';
  }
}

/** Ended links the user can finish another way: a pairing code, or a retry (issue 12). */
export const offersPairingInstead = (status: SessionStatus | undefined): boolean =>
  status === 'passkey_required' || status === 'client_outdated';

/** Index of the active linking step (0 generate, 1 scan, 2 verify, 4 all done). */
export function stepFor(view: ConnectView): number {
  switch (view) {
    case 'qr':
    case 'pairing':
      return 1;
    case 'verifying':
      return 2;
    case 'connected':
      return 4;
    default:
      return 0;
  }
}

export function statusLabelKey(view: ConnectView, status: SessionStatus | undefined): MessageKey {
  switch (view) {
    case 'connected':
      return 'connect.status.connected';
    case 'reconnecting':
      return 'connect.status.reconnecting';
    case 'connecting':
      return 'connect.status.connecting';
    case 'disconnected':
      return 'connect.status.disconnected';
    case 'generating':
    case 'qr':
    case 'pairing':
    case 'verifying':
      return 'connect.status.linking';
    case 'ended':
      if (status === 'logged_out' || status === 'replaced' || status === 'failed' || status === 'expired'
        || status === 'passkey_required' || status === 'client_outdated') {
        return `connect.status.${status}`;
      }
      return 'connect.status.none';
    default:
      return 'connect.status.none';
  }
}

export function statusTone(view: ConnectView, status: SessionStatus | undefined): 'ok' | 'warn' | 'bad' | 'neutral' {
  if (view === 'connected') return 'ok';
  if (view === 'reconnecting' || view === 'disconnected' || view === 'connecting') return 'warn';
  if (view === 'ended' && (status === 'failed' || status === 'replaced' || status === 'client_outdated')) return 'bad';
  if (view === 'ended' && status === 'passkey_required') return 'warn';
  if (view === 'generating' || view === 'qr' || view === 'pairing' || view === 'verifying') return 'warn';
  return 'neutral';
}
