import { useId } from 'react';
import { useI18n, type Lang } from '../i18n/index.tsx';

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  const id = useId();
  return (
    <div className="language-switch">
      <label htmlFor={id} className="visually-hidden">{t('lang.label')}</label>
      <select id={id} value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="en" lang="en">{t('lang.en')}</option>
        <option value="es" lang="es">{t('lang.es')}</option>
      </select>
    </div>
  );
}
