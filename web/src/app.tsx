import { useMemo, useState, type ReactNode } from 'react';
import type { Session } from '@supabase/supabase-js';
import { LanguageSwitch } from './components/language-switch.tsx';
import { AuthPage, useAuthSession } from './features/auth/index.ts';
import { ConnectPanel, useWhatsappSession } from './features/connect/index.ts';
import { ConversationsPage } from './features/conversations/index.ts';
import { MessagesPanel } from './features/messages/index.ts';
import { SettingsPage } from './features/settings/index.ts';
import { DeliveryLogPage } from './features/webhooks/index.ts';
import { useI18n } from './i18n/index.tsx';
import { getSupabase, readAppConfig, type AppSupabase } from './lib/supabase.ts';

export function App() {
  const { t } = useI18n();
  const config = useMemo(readAppConfig, []);
  if (!config) {
    return (
      <Shell>
        <div className="card notice-card" role="alert">{t('app.configMissing')}</div>
      </Shell>
    );
  }
  return <ConfiguredApp supabase={getSupabase(config)} />;
}

function ConfiguredApp({ supabase }: { supabase: AppSupabase }) {
  const { t } = useI18n();
  const auth = useAuthSession(supabase);
  if (auth === undefined) {
    return (
      <Shell>
        <p className="loading" role="status">{t('app.loading')}</p>
      </Shell>
    );
  }
  if (!auth) {
    return (
      <Shell>
        <AuthPage supabase={supabase} />
      </Shell>
    );
  }
  return <Workspace supabase={supabase} auth={auth} />;
}

function Workspace({ supabase, auth }: { supabase: AppSupabase; auth: Session }) {
  const { t } = useI18n();
  const state = useWhatsappSession(supabase, auth.user.id);
  const [view, setView] = useState<'workspace' | 'conversations' | 'settings' | 'webhooks'>('workspace');
  const account = (
    <div className="account">
      <span className="account-email" title={t('auth.signedInAs', { email: auth.user.email ?? '' })}>
        {auth.user.email}
      </span>
      <button type="button" className="button button-ghost" onClick={() => void supabase.auth.signOut()}>
        {t('auth.signOut')}
      </button>
    </div>
  );
  const tab = (name: typeof view, label: string) => (
    <button type="button" className={`tab${view === name ? ' tab-current' : ''}`} aria-current={view === name ? 'page' : undefined}
      onClick={() => setView(name)}>
      {label}
    </button>
  );
  return (
    <Shell account={account}>
      <nav className="tabs" aria-label={t('nav.label')}>
        {tab('workspace', t('nav.workspace'))}
        {tab('conversations', t('nav.conversations'))}
        {tab('settings', t('nav.settings'))}
        {tab('webhooks', t('nav.webhooks'))}
      </nav>
      {view === 'workspace' && (
        <div className="workspace" key={auth.user.id}>
          <ConnectPanel supabase={supabase} state={state} />
          <MessagesPanel supabase={supabase} session={state.session} />
        </div>
      )}
      {view === 'conversations' && <ConversationsPage key={auth.user.id} supabase={supabase} session={state.session} />}
      {view === 'settings' && <SettingsPage key={auth.user.id} supabase={supabase} />}
      {view === 'webhooks' && <DeliveryLogPage key={auth.user.id} supabase={supabase} />}
    </Shell>
  );
}

function Shell({ children, account }: { children: ReactNode; account?: ReactNode }) {
  const { t } = useI18n();
  return (
    <>
      <a className="skip-link" href="#main">{t('app.skipToContent')}</a>
      <header className="topbar">
        <div className="topbar-inner">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true">
              <svg viewBox="0 0 24 24" width="20" height="20" fill="currentColor">
                <path d="M12 2a10 10 0 0 0-8.7 14.9L2 22l5.3-1.3A10 10 0 1 0 12 2Zm0 18.2a8.2 8.2 0 0 1-4.2-1.2l-.3-.2-3.1.8.8-3-.2-.3A8.2 8.2 0 1 1 12 20.2Z" />
              </svg>
            </span>
            <span>
              <span className="brand-name">{t('app.name')}</span>
              <span className="brand-tagline">{t('app.tagline')}</span>
            </span>
          </div>
          <div className="topbar-actions">
            <LanguageSwitch />
            {account}
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
