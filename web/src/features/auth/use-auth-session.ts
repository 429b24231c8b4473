import { useEffect, useState } from 'react';
import type { Session } from '@supabase/supabase-js';
import type { AppSupabase } from '../../lib/supabase.ts';

/** The signed-in Supabase Auth session: undefined while loading, null when signed out. */
export function useAuthSession(supabase: AppSupabase): Session | null | undefined {
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  useEffect(() => {
    let active = true;
    void supabase.auth.getSession().then(({ data }) => {
      if (active) setSession(data.session);
    });
    const { data } = supabase.auth.onAuthStateChange((_event, next) => {
      if (active) setSession(next);
    });
    return () => {
      active = false;
      data.subscription.unsubscribe();
    };
  }, [supabase]);

  return session;
}
