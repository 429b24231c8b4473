import { useEffect, useState } from 'react';
import { parseTimestamp } from '../../lib/time.ts';

/** Whole seconds left until `deadline` (a timestamp string), updated every second; null without one. */
export function useCountdown(deadline: string | null | undefined): number | null {
  const target = parseTimestamp(deadline);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (Number.isNaN(target)) return undefined;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [target]);

  if (Number.isNaN(target)) return null;
  return Math.max(0, Math.ceil((target - now) / 1000));
}
