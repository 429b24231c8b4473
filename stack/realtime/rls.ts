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
  constructor(private readonly pool: Pool, private readonly types: TypeCatalog, private readonly logger: Logger) {}

  /** For each request, the set of rowKey()s its claims can see. A failing request sees nothing. */
  async check(requests: VisibilityRequest[]): Promise<Set<string>[]> {
    if (requests.length === 0) return [];
    try {
      return await this.run(requests);
    } catch (error) {
      if (requests.length === 1) {
        this.logger.warn({ err: error, role: requests[0]!.role }, 'realtime: RLS check failed; change not delivered');
        return [new Set()];
      }
      // One bad group (e.g. a role without table privileges) must not hide the changes from everyone else.
      return Promise.all(requests.map(async (request) => (await this.check([request]))[0]!));
    }
  }

  private async run(requests: VisibilityRequest[]): Promise<Set<string>[]> {
    const statements = ['begin isolation level read committed read only'];
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
    const visible = requests.map(() => new Set<string>());
    results.forEach((result, index) => {
      const owner = owners[index];
      if (!owner) return;
      for (const row of result.rows) visible[owner.request]!.add(`${owner.relation}:${row.k}`);
    });
    return visible;
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
