import { useI18n } from '../../i18n/index.tsx';
import type { MessageKey } from '../../i18n/en.ts';

const qrSteps: MessageKey[] = ['connect.step.generate', 'connect.step.scan', 'connect.step.verify', 'connect.step.done'];
const codeSteps: MessageKey[] = ['connect.step.getCode', 'connect.step.enterCode', 'connect.step.verify', 'connect.step.done'];

/** The four linking steps; `current` is the index of the active step (4 = all done). */
export function Stepper({ current, method = 'qr' }: { current: number; method?: 'qr' | 'pairing_code' }) {
  const { t } = useI18n();
  const steps = method === 'pairing_code' ? codeSteps : qrSteps;
  return (
    <ol className="stepper" aria-label={t('connect.steps')}>
      {steps.map((key, index) => {
        const state = index < current ? 'complete' : index === current ? 'current' : 'upcoming';
        return (
          <li key={key} className={`step step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
            <span className="step-marker" aria-hidden="true">
              {state === 'complete' ? '✓' : index + 1}
            </span>
            <span className="step-label">
              {t(key)}
              {state !== 'upcoming' && (
                <span className="visually-hidden">
                  {' '}
                  ({state === 'complete' ? t('connect.stepState.complete') : t('connect.stepState.current')})
                </span>
              )}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
