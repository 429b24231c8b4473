import { useId, useState, type FormEvent } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import { useI18n } from '../../i18n/index.tsx';
import { Alert } from '../../components/alert.tsx';

type Mode = 'signIn' | 'signUp';

export function AuthPage({ supabase }: { supabase: AppSupabase }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<Mode>('signIn');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const ids = { email: useId(), password: useId(), hint: useId(), title: useId() };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      if (mode === 'signIn') {
        const { error: signInError } = await supabase.auth.signInWithPassword({ email, password });
        if (signInError) setError(signInError.message);
      } else {
        const { data, error: signUpError } = await supabase.auth.signUp({ email, password });
        if (signUpError) setError(signUpError.message);
        else if (!data.session) setNotice(t('auth.checkEmail'));
      }
    } catch {
      setError(t('error.network'));
    } finally {
      setBusy(false);
    }
  }

  function switchMode(next: Mode) {
    setMode(next);
    setError(null);
    setNotice(null);
  }

  const isSignIn = mode === 'signIn';
  return (
    <div className="auth-layout">
      <section className="auth-intro" aria-labelledby="auth-intro-title">
        <h2 id="auth-intro-title">{t('auth.introTitle')}</h2>
        <p>{t('auth.introBody')}</p>
        <ol className="auth-intro-steps">
          <li>{t('connect.step.generate')}</li>
          <li>{t('connect.step.scan')}</li>
          <li>{t('connect.step.verify')}</li>
          <li>{t('connect.step.done')}</li>
        </ol>
      </section>
      <section className="card auth-card" aria-labelledby={ids.title}>
        <h2 id={ids.title} className="card-title">
          {isSignIn ? t('auth.signInTitle') : t('auth.signUpTitle')}
        </h2>
        <form onSubmit={submit} className="form" noValidate={false}>
          <div className="field">
            <label htmlFor={ids.email}>{t('auth.email')}</label>
            <input
              id={ids.email}
              name="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.password}>{t('auth.password')}</label>
            <input
              id={ids.password}
              name="password"
              type="password"
              autoComplete={isSignIn ? 'current-password' : 'new-password'}
              required
              minLength={6}
              aria-describedby={isSignIn ? undefined : ids.hint}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            {!isSignIn && <p id={ids.hint} className="hint">{t('auth.passwordHint')}</p>}
          </div>
          {error && <Alert tone="error">{error}</Alert>}
          {notice && <Alert tone="info">{notice}</Alert>}
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? t('auth.working') : isSignIn ? t('auth.signIn') : t('auth.signUp')}
          </button>
        </form>
        <p className="auth-switch">
          {isSignIn ? t('auth.noAccount') : t('auth.haveAccount')}{' '}
          <button type="button" className="link-button" onClick={() => switchMode(isSignIn ? 'signUp' : 'signIn')}>
            {isSignIn ? t('auth.signUp') : t('auth.signIn')}
          </button>
        </p>
      </section>
    </div>
  );
}
