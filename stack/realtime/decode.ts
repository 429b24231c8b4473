// Turns pgoutput's text-format column values into the JSON values Realtime sends (what to_jsonb would give):
// numbers as numbers, booleans, json(b) as JSON, timestamptz as '2026-11-28T01:52:00.123456+00:00',
// arrays as JSON arrays, everything else as its text.
import pg from 'pg';
import type { Pool } from 'pg';

export interface TypeInfo {
  name: string;
  schema: string;
  /** Element type of an array type, else 0. */
  elem: number;
}

// text[] (oid 1009) is missing from pg's TypeId union, hence the cast.
const parseTextArray = pg.types.getTypeParser(1009 as never) as (text: string) => unknown;

/** oid -> type name, loaded from pg_type; reloaded when an unknown oid shows up (new enum, domain…). */
export class TypeCatalog {
  private types = new Map<number, TypeInfo>();

  constructor(private readonly pool: Pool) {}

  async load(): Promise<void> {
    const { rows } = await this.pool.query<{ oid: number; name: string; schema: string; elem: number }>(
      `select t.oid::int as oid, t.typname as name, n.nspname as schema, t.typelem::int as elem
         from pg_type t join pg_namespace n on n.oid = t.typnamespace`,
    );
    const types = new Map<number, TypeInfo>();
    for (const row of rows) types.set(row.oid, { name: row.name, schema: row.schema, elem: row.elem });
    this.types = types;
  }

  has(oid: number): boolean {
    return this.types.has(oid);
  }

  get(oid: number): TypeInfo | undefined {
    return this.types.get(oid);
  }

  name(oid: number): string {
    return this.types.get(oid)?.name ?? 'text';
  }

  /** A SQL cast target for a literal of this type, e.g. `"pg_catalog"."uuid"`. */
  castTarget(oid: number): string {
    const info = this.types.get(oid);
    if (!info) return 'text';
    return `${quoteIdent(info.schema)}.${quoteIdent(info.name)}`;
  }

  decode(text: string, oid: number): unknown {
    const info = this.types.get(oid);
    if (info && info.elem !== 0 && info.name.startsWith('_')) {
      return decodeArray(parseTextArray(text), (element) => this.decode(element, info.elem));
    }
    return decodeScalar(text, info?.name ?? 'text');
  }
}

function decodeArray(value: unknown, decodeElement: (text: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => decodeArray(item, decodeElement));
  if (value === null) return null;
  return decodeElement(String(value));
}

export function decodeScalar(text: string, type: string): unknown {
  switch (type) {
    case 'bool':
      return text === 't';
    case 'int2': case 'int4': case 'int8': case 'oid': case 'float4': case 'float8': case 'numeric': {
      const n = Number(text);
      return Number.isFinite(n) ? n : text; // NaN / Infinity stay strings, as in to_jsonb
    }
    case 'json': case 'jsonb':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    case 'timestamptz':
      return isoTimestamp(text, true);
    case 'timestamp':
      return isoTimestamp(text, false);
    default:
      return text;
  }
}

/** '2026-11-28 01:52:00.123+00' -> '2026-11-28T01:52:00.123+00:00' (ISO DateStyle output, as to_jsonb writes it). */
function isoTimestamp(text: string, withZone: boolean): string {
  if (!/^\d{4}-\d\d-\d\d \d/.test(text)) return text; // infinity, BC dates
  let out = text.replace(' ', 'T');
  if (withZone) out = out.replace(/([+-]\d\d)$/, '$1:00');
  return out;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
