// What the database did over a measured window: committed transactions (pg_stat_database) and calls of each
// SQL function (pg_stat_user_functions, needs track_functions = 'all': trackFunctionCalls). Backends flush
// their counters about once a second, so a window of several seconds reads within a second's worth.
import type { Database } from './environment.ts';

export interface DbCounters { xacts: number; calls: Map<string, number> }

/** Counts calls of SQL functions from now on (a reload, no restart). */
export async function trackFunctionCalls(db: Database): Promise<void> {
  await db.sql`alter system set track_functions = 'all'`;
  await db.sql`select pg_reload_conf()`;
}

export async function dbCounters(db: Database): Promise<DbCounters> {
  const [x] = await db.sql<{ n: string }[]>`select sum(xact_commit)::text as n from pg_stat_database`;
  const fns = await db.sql<{ name: string; calls: string }[]>`select funcname as name, calls::text from pg_stat_user_functions`;
  return { xacts: Number(x!.n), calls: new Map(fns.map((f) => [f.name, Number(f.calls)])) };
}

/** after - before, per unit of work (a login, a sent message): transactions and each function's calls, busiest first. */
export function perUnit(before: DbCounters, after: DbCounters, units: number): { transactions: number; calls: Record<string, number> } {
  const round = (v: number) => Math.round(v * 100) / 100;
  const calls = [...after.calls].map(([name, n]) => [name, (n - (before.calls.get(name) ?? 0)) / units] as const)
    .filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  return { transactions: round((after.xacts - before.xacts) / units), calls: Object.fromEntries(calls.map(([k, v]) => [k, round(v)])) };
}
