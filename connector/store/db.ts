// The only module that creates the Postgres client.
import postgres from 'postgres';

export type Sql = postgres.Sql;

/** Server-side bound of one statement; the client gives up a little later (see withDeadline). */
export const STATEMENT_TIMEOUT_MS = 15_000;
export const QUERY_DEADLINE_MS = 20_000;

export function createDb(url: string, poolSize: number): Sql {
  return postgres(url, {
    max: poolSize,
    onnotice: () => {},
    idle_timeout: 60,
    // A restarted or unreachable server must fail calls, never leave them pending forever.
    connect_timeout: 10,
    keep_alive: 10,
    max_lifetime: 30 * 60,
    connection: {
      application_name: 'whatsapp-connector',
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: 60_000,
    },
  });
}

/**
 * Client-side deadline for one query: a call that started before a Postgres restart may otherwise never
 * settle (its connection half-open), and callers that wait for it stop working. The query is cancelled
 * when possible; the caller gets an error with code DB_DEADLINE.
 */
export function withDeadline<T>(query: PromiseLike<T> & { cancel?: () => unknown }, ms = QUERY_DEADLINE_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      try { void Promise.resolve(query.cancel?.()).catch(() => {}); } catch { /* already settled or gone */ }
      reject(Object.assign(new Error(`database call timed out after ${ms} ms`), { code: 'DB_DEADLINE' }));
    }, ms);
    timer.unref?.();
    query.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/** SQLSTATE WL001: the caller no longer holds the session lease (fenced out). */
export const isLeaseLostError = (error: unknown) => (error as { code?: string } | null)?.code === 'WL001';

export const interval = (ms: number) => `${Math.max(0, Math.round(ms))} milliseconds`;
