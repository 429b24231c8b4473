import type { MessageKey } from '../i18n/en.ts';
import type { Translate } from '../i18n/index.tsx';
import { ApiError } from './api.ts';

// Error codes of the whatsapp function a user can cause or fix, in the user's language.
// Any other code shows the function's own (English) message.
const known: Record<string, MessageKey> = {
  network: 'error.network',
  invalid_phone_number: 'error.invalidPhoneNumber',
  no_active_session: 'error.noActiveSession',
  session_cannot_send: 'error.sessionCannotSend',
  session_state_conflict: 'error.sessionStateConflict',
  rate_limited: 'error.rateLimited',
  auth_required: 'error.signInAgain',
  invalid_token: 'error.signInAgain',
  internal_error: 'error.generic',
  webhook_url_not_allowed: 'error.webhookUrlNotAllowed',
  invalid_webhook_url: 'error.invalidWebhookUrl',
};

export function describeError(caught: unknown, t: Translate): string {
  if (caught instanceof ApiError) {
    const key = known[caught.code];
    return key ? t(key) : caught.message;
  }
  return t('error.generic');
}
