// Column privileges per (role, table): Realtime leaves out of `columns`, `record` and `old_record` the
// columns the subscriber's role may not select. Cached briefly (grants change rarely, and no WAL message
// announces a GRANT), loaded in the RLS path, which is asynchronous anyway.
import type { Pool } from 'pg';
import type { RelationInfo } from './replication.ts';

const TTL_MS = 5_000;

/** null: the role may select every column. */
export type Selectable = Set<string> | null;

export class ColumnPrivileges {
  private readonly cache = new Map<string, { at: number; selectable: Selectable }>();

  constructor(private readonly pool: Pool) {}

  get(role: string, relation: RelationInfo): Selectable | undefined {
    return this.cache.get(`${role}\u0000${relation.oid}`)?.selectable;
  }

  async load(pairs: Iterable<[string, RelationInfo]>): Promise<void> {
    const now = Date.now();
    for (const [role, relation] of pairs) {
      const key = `${role}\u0000${relation.oid}`;
      const cached = this.cache.get(key);
      if (cached && now - cached.at < TTL_MS) continue;
      const { rows } = await this.pool.query<{ name: string; selectable: boolean }>(
        `select attname::text as name, has_column_privilege($1, attrelid, attnum, 'SELECT') as selectable
           from pg_attribute where attrelid = $2 and attnum > 0 and not attisdropped`,
        [role, relation.oid],
      );
      const selectable = rows.every((row) => row.selectable) ? null : new Set(rows.filter((row) => row.selectable).map((row) => row.name));
      this.cache.set(key, { at: now, selectable });
    }
  }
}
