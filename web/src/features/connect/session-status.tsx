// The views for a linked (or formerly linked) session: connected, reconnecting, disconnected, ended.
import { useI18n } from '../../i18n/index.tsx';
import { formatPhone } from '../../lib/phone.ts';
import { formatDateTime } from '../../lib/time.ts';
import type { WhatsappSession } from '../../lib/types.ts';
import { Waiting } from './link-steps.tsx';

/**
 * WhatsApp's reachout time-lock (restricted_until, restriction_kind: not a status, the session stays connected):
 * messages to new contacts wait until it ends, chats with existing contacts go on.
 */
export function RestrictionNotice({ session }: { session: WhatsappSession }) {
  const { t, lang } = useI18n();
  if (!session.restricted_until || new Date(session.restricted_until).getTime() <= Date.now()) return null;
  return (
    <div className="restriction" role="note" data-testid="restriction" data-kind={session.restriction_kind ?? ''}>
      <p><strong>{t('connect.restrictedTitle', { until: formatDateTime(session.restricted_until, lang) })}</strong></p>
      <p>{t('connect.restrictedBody')}</p>
    </div>
  );
}

/**
 * WhatsApp's cap on the new chats the account starts per cycle (new_chat_*: the connector's last answer of rc14's
 * fetchNewChatMessageCap or the server's push), shown once WhatsApp reported one.
 */
function NewChatCap({ session }: { session: WhatsappSession }) {
  const { t, lang } = useI18n();
  if (session.new_chat_quota === null || session.new_chats_used === null) return null;
  const reached = session.new_chat_cap_status === 'CAPPED' || session.new_chats_used >= session.new_chat_quota;
  return (
    <div data-testid="new-chat-cap" data-used={session.new_chats_used} data-quota={session.new_chat_quota}
      data-status={session.new_chat_cap_status ?? ''}>
      <dt>{t('connect.newChatCap')}</dt>
      <dd>
        {t('connect.newChatCapValue', { used: session.new_chats_used, quota: session.new_chat_quota })}
        {session.new_chat_cycle_ends_at && (
          <>
            {'; '}
            <time dateTime={session.new_chat_cycle_ends_at}>
              {t('connect.newChatCapResets', { resets: formatDateTime(session.new_chat_cycle_ends_at, lang) })}
            </time>
          </>
        )}
        {reached && <strong className="cap-reached"> {t('connect.newChatCapReached')}</strong>}
      </dd>
    </div>
  );
}

export function SessionDetails({ session }: { session: WhatsappSession }) {
  const { t, lang } = useI18n();
  return (
    <>
    <RestrictionNotice session={session} />
    <dl className="details">
      <div>
        <dt>{t('connect.phone')}</dt>
        <dd data-testid="connected-phone" data-phone={session.phone_number ?? ''}>
          {session.phone_number ? formatPhone(session.phone_number) : '—'}
        </dd>
      </div>
      {session.push_name && (
        <div>
          <dt>{t('connect.name')}</dt>
          <dd>{session.push_name}</dd>
        </div>
      )}
      {session.connected_at && (
        <div>
          <dt>{t('connect.since')}</dt>
          <dd>
            <time dateTime={session.connected_at}>{formatDateTime(session.connected_at, lang)}</time>
          </dd>
        </div>
      )}
      <NewChatCap session={session} />
    </dl>
    </>
  );
}

export function ReconnectingBody({ session }: { session: WhatsappSession }) {
  const { t } = useI18n();
  return (
    <>
      <Waiting label={t('connect.reconnectingBody', { attempt: Math.max(1, session.reconnect_attempts) })} />
      <SessionDetails session={session} />
    </>
  );
}

export function EndedBody({ session }: { session: WhatsappSession }) {
  const { t } = useI18n();
  const body =
    session.status === 'logged_out'
      ? t('connect.loggedOutBody')
      : session.status === 'replaced'
        ? t('connect.replacedBody')
        : session.status === 'expired'
          ? t('connect.expiredBody')
          : session.status === 'passkey_required'
            ? t('connect.passkeyBody')
            : session.status === 'client_outdated'
              ? t('connect.outdatedBody')
              : t('connect.failedBody');
  return (
    <div className="ended" data-testid="ended-body">
      <p>{body}</p>
      {session.last_error && session.status === 'failed' && (
        <p className="reason" data-testid="last-error">
          {t('connect.reason', { reason: session.last_error })}
        </p>
      )}
    </div>
  );
}
