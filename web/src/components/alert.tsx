import type { ReactNode } from 'react';

/** An inline message. Errors use role="alert" so screen readers announce them at once. */
export function Alert({ tone, children }: { tone: 'error' | 'info' | 'success'; children: ReactNode }) {
  return (
    <div className={`alert alert-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
