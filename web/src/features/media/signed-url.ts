// Signed download URLs for objects in the private media bucket. A URL is signed once per object and
// reused by every element showing it until it is close to expiring; Storage's RLS decides who may sign.
import { useEffect, useState } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import { MEDIA_BUCKET } from './media-types.ts';

const EXPIRES_IN_SECONDS = 60 * 60;
/** Signed again when less than this is left, so an element never gets a URL about to expire. */
const RENEW_BEFORE_MS = 5 * 60 * 1000;

interface Signed {
  url: string;
  expiresAt: number;
}

const cache = new Map<string, Promise<Signed>>();

async function sign(supabase: AppSupabase, path: string, download: string | undefined): Promise<Signed> {
  const { data, error } = await supabase.storage
    .from(MEDIA_BUCKET)
    .createSignedUrl(path, EXPIRES_IN_SECONDS, download === undefined ? undefined : { download });
  if (error) throw error;
  return { url: data.signedUrl, expiresAt: Date.now() + EXPIRES_IN_SECONDS * 1000 };
}

/** A signed URL for `path` (with `download` as the saved file name when given), shared and renewed. */
export function signedUrl(supabase: AppSupabase, path: string, download?: string): Promise<Signed> {
  const key = `${path}\n${download ?? ''}`;
  const cached = cache.get(key);
  if (cached) {
    return cached.then((signed) => {
      if (signed.expiresAt - Date.now() > RENEW_BEFORE_MS) return signed;
      cache.delete(key);
      return signedUrl(supabase, path, download);
    });
  }
  const pending = sign(supabase, path, download);
  cache.set(key, pending);
  // A refusal is not kept: the object may be there on the next render (e.g. just uploaded).
  pending.catch(() => cache.delete(key));
  return pending;
}

export type SignedUrlState = { status: 'loading' } | { status: 'ready'; url: string } | { status: 'error' };

export function useSignedUrl(supabase: AppSupabase, path: string | null, download?: string): SignedUrlState {
  const [state, setState] = useState<SignedUrlState>({ status: 'loading' });
  useEffect(() => {
    if (!path) {
      setState({ status: 'error' });
      return undefined;
    }
    let active = true;
    setState({ status: 'loading' });
    signedUrl(supabase, path, download).then(
      (signed) => active && setState({ status: 'ready', url: signed.url }),
      () => active && setState({ status: 'error' }),
    );
    return () => {
      active = false;
    };
  }, [supabase, path, download]);
  return state;
}
