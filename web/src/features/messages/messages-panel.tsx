import type { AppSupabase } from '../../lib/supabase.ts';
import { Alert } from '../../components/alert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import type { WhatsappSession } from '../../lib/types.ts';
import { MessageList } from './message-list.tsx';
import { SendForm } from './send-form.tsx';
import { useContacts } from './use-contacts.ts';
import { useMessages } from './use-messages.ts';

export function MessagesPanel({ supabase, session }: { supabase: AppSupabase; session: WhatsappSession | null }) {
  const { t } = useI18n();
  const { items, error, hasMore, loadingOlder, loadOlder, addOutbound } = useMessages(supabase, session?.id);
  const contacts = useContacts(supabase, session?.id);
  const canSend = session?.status === 'connected' || session?.status === 'reconnecting';
  return (
    <section className="card messages-card" aria-labelledby="messages-title">
      <header className="card-header">
        <h2 id="messages-title" className="card-title">{t('messages.title')}</h2>
      </header>
      <div className="card-body messages-body">
        <SendForm supabase={supabase} sessionId={session?.id} canSend={canSend} onQueued={addOutbound} />
        {error && <Alert tone="error">{error}</Alert>}
        <MessageList supabase={supabase} items={items} contacts={contacts} hasSession={!!session} />
        {hasMore && (
          <button type="button" className="button button-secondary load-older" disabled={loadingOlder} onClick={() => void loadOlder()}>
            {loadingOlder ? t('app.loading') : t('messages.loadOlder')}
          </button>
        )}
      </div>
    </section>
  );
}
