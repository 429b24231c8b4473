import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '../_shared/database.types.ts';
import type { Logger } from '../_shared/log.ts';

/** supabase-js typed with the generated schema: rows and rpc arguments are the database's. */
export type Db = SupabaseClient<Database>;

export interface AuthUser {
  id: string;
  email: string | undefined;
}

/** Hono environment of the app: what middleware hands to handlers through c.set / c.get. */
export interface AppEnv {
  Variables: {
    /** The signed-in caller (set by requireUser). */
    user: AuthUser;
    /** A supabase-js client carrying the caller's JWT: every query runs under RLS as that user. */
    db: Db;
    requestId: string;
    logger: Logger;
  };
}
