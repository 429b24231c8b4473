// The per-subscriber RLS re-check of postgres_changes: may these claims select these rows?
// One round trip per batch: a read-only transaction that switches role and request.jwt.claims per claims
// group (set_config(..., true) is transaction-local, as with `set local`) and probes the rows by primary key.
import type { Pool } from 'pg';
import { quoteIdent, quoteLiteral, type TypeCatalog } from './decode.ts';
import type { Logger } from './logger.ts';
import type { RelationInfo } from './replication.ts';

export interface VisibilityRequest {
  role: string;
  claimsJson: string;
  /** relation oid -> relation and the primary keys (raw text values) to probe. */
  tables: Map<number, { relation: RelationInfo; keys: Map<string, string[]> }>;
}

/** The row key used in results: relation oid + JSON of the key values. */
export function rowKey(relationOid: number, keyText: string[]): string {
  return `${relationOid}:${JSON.stringify(keyText)}`;
}

export class RlsChecker {
  constructor(
    private readonly pool: Pool,
    private readonly types: TypeCatalog,
    private readonly logger: Logger,
    /** How long a probe waits for a decoded commit to become visible before it reads anyway. */
    private readonly visibilityWaitMs = 5_000,
  ) {}

  /**
   * For each request, the set of rowKey()s its claims can see. A failing request sees nothing.
   * `xids`: the transactions whose changes are checked. Postgres flushes a commit to the WAL (and so to us)
   * a moment before other sessions' snapshots see it; a probe in that window would find no row and drop
   * the change. So the probes wait until every one of these transactions is visible.
   */
  async check(requests: VisibilityRequest[], xids: number[]): Promise<Set<string>[]> {
    if (requests.length === 0) return [];
    try {
      return await this.runWhenVisible(requests, xids);
    } catch (error) {
      if (requests.length === 1) {
        this.logger.warn({ err: error, role: requests[0]!.role }, 'realtime: RLS check failed; change not delivered');
        return [new Set()];
      }
      // One bad group (e.g. a role without table privileges) must not hide the changes from everyone else.
      return Promise.all(requests.map(async (request) => (await this.check([request], xids))[0]!));
    }
  }

  /**
   * Waits (up to the same bound) until every one of these transactions is visible; for subscribers with no probe.
   * One snapshot check per batch; asked again at once (no poll sleep) only while a transaction the WAL already
   * committed is still in progress for snapshots, a window of microseconds between the commit record and the
   * end of the transaction in the process array.
   */
  async waitUntilVisible(xids: number[]): Promise<void> {
    if (xids.length === 0) return;
    const deadline = Date.now() + this.visibilityWaitMs;
    try {
      for (;;) {
        const { rows } = await this.pool.query<VisibilityRow>(committedStatement(xids));
        if (!stillCommitting(rows[0]) || Date.now() >= deadline) return;
        this.visibilityRetries += 1;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'realtime: visibility check failed; delivering anyway');
    }
  }

  /** How many checks found a decoded transaction not yet visible and asked again (for tests and measurements). */
  visibilityRetries = 0;

  private async runWhenVisible(requests: VisibilityRequest[], xids: number[]): Promise<Set<string>[]> {
    const deadline = Date.now() + this.visibilityWaitMs;
    for (;;) {
      const { visible, committing } = await this.run(requests, xids);
      if (!committing || Date.now() >= deadline) return visible;
      this.visibilityRetries += 1;
    }
  }

  private async run(requests: VisibilityRequest[], xids: number[]): Promise<{ visible: Set<string>[]; committing: boolean }> {
    // The first statement's snapshot precedes the probes' (read committed: one snapshot per statement), so
    // once it sees the transactions, so do the probes.
    const statements = ['begin isolation level read committed read only', committedStatement(xids)];
    const owners: { request: number; relation: number }[] = [];
    requests.forEach((request, index) => {
      statements.push(
        `select set_config('role', ${quoteLiteral(request.role)}, true), ` +
        `set_config('request.jwt.claims', ${quoteLiteral(request.claimsJson)}, true)`,
      );
      for (const [oid, { relation, keys }] of request.tables) {
        statements.push(this.probe(relation, [...keys.values()]));
        owners[statements.length - 1] = { request: index, relation: oid };
      }
    });
    statements.push('commit');
    const client = await this.pool.connect();
    let results: { rows: { k: string }[] }[];
    try {
      const result = await client.query(statements.join(';\n'));
      results = (Array.isArray(result) ? result : [result]) as unknown as { rows: { k: string }[] }[];
    } catch (error) {
      await client.query('rollback').catch(() => {});
      client.release();
      throw error;
    }
    client.release();
    const committing = stillCommitting(results[1]?.rows[0] as VisibilityRow | undefined);
    const visible = requests.map(() => new Set<string>());
    results.forEach((result, index) => {
      const owner = owners[index];
      if (!owner) return;
      for (const row of result.rows) visible[owner.request]!.add(`${owner.relation}:${row.k}`);
    });
    return { visible, committing };
  }

  private probe(relation: RelationInfo, keys: string[][]): string {
    const pkTypes = relation.primaryKey.map((name) => {
      const column = relation.columns.find((c) => c.name === name);
      return column ? this.types.castTarget(column.typeOid) : 'text';
    });
    const values = keys
      .map((key) => `(${quoteLiteral(JSON.stringify(key))}, ${key.map((v, i) => `${quoteLiteral(v)}::${pkTypes[i]}`).join(', ')})`)
      .join(', ');
    const names = relation.primaryKey.map((_, i) => `c${i}`).join(', ');
    const match = relation.primaryKey.map((name, i) => `t.${quoteIdent(name)} = v.c${i}`).join(' and ');
    return `select v.k from (values ${values}) v(k, ${names}) ` +
      `where exists (select 1 from ${quoteIdent(relation.schema)}.${quoteIdent(relation.table)} t where ${match})`;
  }
}

interface VisibilityRow { committed: boolean | null; committing: boolean | null }

/** Some transaction is not visible yet but committed (or committing) by the commit log: worth asking again. */
function stillCommitting(row: VisibilityRow | undefined): boolean {
  return row?.committed === false && row.committing === true;
}

/**
 * `committed`: every xid is visible in this statement's snapshot; `committing`: one that is not is still
 * 'in progress' or already 'committed' by pg_xact_status (the commit record is written before the
 * transaction leaves the process array), so it becomes visible in moments. An aborted or unknown xid never
 * will: the caller stops waiting. pgoutput gives 32-bit xids; the epoch is
 * taken from the snapshot's xmax (an xid more than 2^31 above it belongs to the previous epoch).
 */
function committedStatement(xids: number[]): string {
  const list = xids.length > 0 ? xids.map((xid) => String(Number(xid) >>> 0)).join(', ') : 'null';
  return `select bool_and(visible) as committed,
         bool_or(not visible and pg_xact_status(x) in ('in progress', 'committed')) as committing
    from (select x, pg_visible_in_snapshot(x, s) as visible from (select s,
      (case when (e | v) - m > 2147483648 then (e | v) - 4294967296 else e | v end)::text::xid8 as x
    from (select s, pg_snapshot_xmax(s)::text::bigint as m, pg_snapshot_xmax(s)::text::bigint & ~4294967295::bigint as e
            from pg_current_snapshot() s) snap,
         unnest(array[${list}]::bigint[]) v
   where v is not null) xs) checked`;
}
