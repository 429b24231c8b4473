// Decoded row changes: pgoutput insert/update/delete messages (raw text tuples) turned into Realtime's
// record / old_record JSON, with the primary key text kept for the RLS re-check.
import type { Pgoutput } from 'pg-logical-replication';
import type { TypeCatalog } from './decode.ts';

export type ChangeType = 'INSERT' | 'UPDATE' | 'DELETE';

export interface RelationInfo {
  oid: number;
  schema: string;
  table: string;
  columns: { name: string; typeOid: number; type: string }[];
  columnTypes: Map<string, string>;
  primaryKey: string[];
  rls: boolean;
}

export interface Change {
  type: ChangeType;
  relation: RelationInfo;
  record: Record<string, unknown> | null;
  oldRecord: Record<string, unknown> | null;
  /** Raw text of the primary key values (new row for INSERT/UPDATE), for the RLS re-check; null without a PK. */
  keyText: string[] | null;
}

export interface Transaction {
  /** The committing transaction's 32-bit xid (pgoutput's Begin). */
  xid: number;
  commitTimestamp: string;
  changes: Change[];
}

type Tuple = Record<string, string | null | undefined>;

export class ChangeDecoder {
  constructor(private readonly types: TypeCatalog) {}

  toChange(
    relations: ReadonlyMap<number, RelationInfo>,
    message: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete,
  ): Change | null {
    const relation = relations.get(message.relation.relationOid);
    if (!relation) return null;
    if (message.tag === 'insert') {
      const tuple = message.new as Tuple;
      return { type: 'INSERT', relation, record: this.decodeTuple(relation, tuple), oldRecord: null, keyText: keyText(relation, tuple) };
    }
    if (message.tag === 'update') {
      const tuple = message.new as Tuple;
      const record = this.decodeTuple(relation, tuple);
      const oldTuple = (message.old ?? message.key) as Tuple | null;
      const oldRecord = oldTuple ? this.decodeTuple(relation, oldTuple) : pick(record, relation.primaryKey);
      return { type: 'UPDATE', relation, record, oldRecord, keyText: keyText(relation, tuple) };
    }
    const oldTuple = (message.old ?? message.key) as Tuple | null;
    let oldRecord = oldTuple ? this.decodeTuple(relation, oldTuple) : {};
    // With RLS on, Supabase sends only the primary key of a deleted row (it cannot check who may see it).
    if (relation.rls && relation.primaryKey.length > 0) oldRecord = pick(oldRecord, relation.primaryKey);
    return { type: 'DELETE', relation, record: null, oldRecord, keyText: oldTuple ? keyText(relation, oldTuple) : null };
  }

  private decodeTuple(relation: RelationInfo, tuple: Tuple): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const column of relation.columns) {
      const raw = tuple[column.name];
      if (raw === undefined) continue; // unchanged TOAST value or not part of a key tuple
      record[column.name] = raw === null ? null : this.types.decode(raw, column.typeOid);
    }
    return record;
  }
}

function keyText(relation: RelationInfo, tuple: Tuple): string[] | null {
  if (relation.primaryKey.length === 0) return null;
  const values: string[] = [];
  for (const name of relation.primaryKey) {
    const value = tuple[name];
    if (typeof value !== 'string') return null;
    values.push(value);
  }
  return values;
}

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (key in record) out[key] = record[key];
  return out;
}
