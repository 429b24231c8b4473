// Resource embedding's relationships, built and chosen as PostgREST builds and chooses them
// (src/library/PostgREST/SchemaCache.hs: addViewM2OAndO2ORels, addM2MRels, addInverseRels, allComputedRels;
// Plan.hs: findRel). Names are "schema.table" while building; only relationships between objects of
// `public` (and, for many-to-many, through a junction in `public`) are kept, keyed by their table name.
import { RestError } from './errors.ts';
import type { ViewKeyDependency } from './view-keys.ts';

/** A foreign key as pg_constraint has it; `oneToOne` when its columns are also a primary or unique key. */
export interface RawForeignKey {
  name: string;
  schema: string;
  table: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
  oneToOne: boolean;
}

export interface Junction {
  table: string;
  constraint1: string;
  constraint2: string;
  /** [origin column, junction column] */
  sourceColumns: [string, string][];
  /** [target column, junction column] */
  targetColumns: [string, string][];
}

export type Relationship =
  | {
      kind: 'fk';
      table: string;
      foreignTable: string;
      isSelf: boolean;
      cardinality: 'm2o' | 'o2m' | 'o2o';
      /** O2O: true on the referenced (parent) side. */
      isParent: boolean;
      constraint: string;
      /** [origin column, target column] */
      columns: [string, string][];
      foreignTableIsView: boolean;
    }
  | { kind: 'm2m'; table: string; foreignTable: string; isSelf: boolean; junction: Junction; foreignTableIsView: boolean }
  | { kind: 'computed'; table: string; foreignTable: string; function: string; toOne: boolean };

export function isToOne(rel: Relationship): boolean {
  if (rel.kind === 'computed') return rel.toOne;
  return rel.kind === 'fk' && rel.cardinality !== 'o2m';
}

type Fk = Extract<Relationship, { kind: 'fk' }>;
const qualified = (schema: string, name: string) => `${schema}.${name}`;

/** Every combination of view columns for a key's table columns (a column may appear under several names). */
function expand(deps: [string, string[]][]): string[][] {
  return deps.reduce<string[][]>((acc, [, viewColumns]) => acc.flatMap((prefix) => viewColumns.map((v) => [...prefix, v])), [[]]);
}

export function buildRelationships(
  foreignKeys: RawForeignKey[],
  keyDeps: ViewKeyDependency[],
  primaryKeys: Map<string, string[]>,
  views: Set<string>,
  computed: Extract<Relationship, { kind: 'computed' }>[],
): Relationship[] {
  const base: Fk[] = foreignKeys.map((fk) => ({
    kind: 'fk', table: qualified(fk.schema, fk.table), foreignTable: qualified(fk.refSchema, fk.refTable),
    isSelf: fk.schema === fk.refSchema && fk.table === fk.refTable, cardinality: fk.oneToOne ? 'o2o' : 'm2o', isParent: false,
    constraint: fk.name, columns: fk.columns.map((c, i) => [c, fk.refColumns[i]!]), foreignTableIsView: false,
  }));
  const depsFor = (table: string, constraint: string, type: ViewKeyDependency['constraint_type']) =>
    keyDeps.filter((d) => qualified(d.table_schema, d.table_name) === table && d.constraint_name === constraint && d.constraint_type === type);
  const viewRels: Fk[] = [];
  for (const rel of base) {
    const fromViews = depsFor(rel.table, rel.constraint, 'f').flatMap((d) => expand(d.column_dependencies).map((cols) => ({ view: qualified(d.view_schema, d.view_name), cols })));
    const toViews = depsFor(rel.foreignTable, rel.constraint, 'f_ref').flatMap((d) => expand(d.column_dependencies).map((cols) => ({ view: qualified(d.view_schema, d.view_name), cols })));
    for (const v of fromViews) {
      viewRels.push({ ...rel, table: v.view, isSelf: false, columns: rel.columns.map(([, f], i) => [v.cols[i]!, f]) });
    }
    for (const v of toViews) {
      viewRels.push({ ...rel, foreignTable: v.view, isSelf: false, foreignTableIsView: true, columns: rel.columns.map(([c], i) => [c, v.cols[i]!]) });
    }
    for (const a of fromViews) {
      for (const b of toViews) {
        viewRels.push({ ...rel, table: a.view, foreignTable: b.view, isSelf: a.view === b.view, foreignTableIsView: true, columns: a.cols.map((c, i) => [c, b.cols[i]!]) });
      }
    }
  }
  const withViews = [...base, ...viewRels];

  const m2m: Relationship[] = [];
  for (const a of withViews) {
    if (a.cardinality !== 'm2o') continue;
    for (const b of withViews) {
      if (b.cardinality !== 'm2o' || b.table !== a.table || b.constraint === a.constraint) continue;
      const junctionColumns = [...a.columns.map(([c]) => c), ...b.columns.map(([c]) => c)];
      const pk = primaryKeys.get(a.table) ?? [];
      if (!junctionColumns.every((c) => pk.includes(c))) continue;
      m2m.push({
        kind: 'm2m', table: a.foreignTable, foreignTable: b.foreignTable, isSelf: a.foreignTable === b.foreignTable,
        foreignTableIsView: views.has(b.foreignTable),
        junction: {
          table: a.table, constraint1: a.constraint, constraint2: b.constraint,
          sourceColumns: a.columns.map(([j, t]) => [t, j]), targetColumns: b.columns.map(([j, f]) => [f, j]),
        },
      });
    }
  }
  const inverse: Fk[] = withViews.map((rel) => ({
    ...rel, table: rel.foreignTable, foreignTable: rel.table, foreignTableIsView: views.has(rel.table),
    cardinality: rel.cardinality === 'm2o' ? 'o2m' : 'o2o', isParent: rel.cardinality === 'o2o' ? !rel.isParent : false,
    columns: rel.columns.map(([c, f]) => [f, c]),
  }));
  const inPublic = (name: string) => name.startsWith('public.');
  const all = [...withViews, ...m2m, ...inverse].filter(
    (rel) => inPublic(rel.table) && inPublic(rel.foreignTable) && (rel.kind !== 'm2m' || inPublic(rel.junction.table)),
  );
  const unqualify = (name: string) => name.slice('public.'.length);
  return [
    ...all.map((rel): Relationship => rel.kind === 'm2m'
      ? { ...rel, table: unqualify(rel.table), foreignTable: unqualify(rel.foreignTable), junction: { ...rel.junction, table: unqualify(rel.junction.table) } }
      : { ...rel, table: unqualify(rel.table), foreignTable: unqualify(rel.foreignTable) }),
    ...computed,
  ];
}

/** The one relationship an embed `target[!hint]` of `origin` means (PostgREST's findRel), or PGRST200/PGRST201. */
export function findRelationship(all: Relationship[], origin: string, target: string, hint: string | undefined): Relationship {
  const single = (cols: [string, string][], side: 0 | 1, name: string) => cols.length === 1 && cols[0]![side] === name;
  const matches = all.filter((rel) => {
    if (rel.table !== origin) return false;
    if (rel.kind === 'computed') return rel.function === target;
    const fk = rel.kind === 'fk' ? rel : undefined;
    if (rel.isSelf) {
      if (!hint) {
        return (rel.foreignTable === target && fk?.cardinality === 'o2m') || (fk?.cardinality === 'm2o' && single(fk.columns, 0, target));
      }
      return rel.foreignTable === target && fk?.cardinality === 'o2m' && single(fk.columns, 1, hint);
    }
    if (!hint) {
      return rel.foreignTable === target
        || (fk !== undefined && !rel.foreignTableIsView && (fk.constraint === target || single(fk.columns, 0, target)));
    }
    if (rel.foreignTable !== target) return false;
    if (rel.kind === 'm2m') return rel.junction.table === hint;
    return rel.constraint === hint || single(rel.columns, 0, hint) || single(rel.columns, 1, hint);
  });
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    return noRelationship(origin, target, hint);
  }
  throw new RestError(
    300,
    'PGRST201',
    `Could not embed because more than one relationship was found for '${origin}' and '${target}'`,
    matches.map(describe),
    `Try changing '${target}' to one of the following: ${matches.map(hintFor).join(', ')}. Find the desired relationship in the 'details' key.`,
  );
}

function noRelationship(origin: string, target: string, hint: string | undefined): never {
  throw new RestError(
    400,
    'PGRST200',
    `Could not find a relationship between '${origin}' and '${target}' in the schema cache`,
    `Searched for a foreign key relationship between '${origin}' and '${target}'${hint ? ` using the hint '${hint}'` : ''} in the schema 'public', but no matches were found.`,
  );
}

const list = (cols: string[]) => `(${cols.join(', ')})`;

/** PostgREST's compressedRel (Error.hs). */
function describe(rel: Relationship): Record<string, string> {
  if (rel.kind === 'computed') return {};
  const embedding = `${rel.table} with ${rel.foreignTable}`;
  if (rel.kind === 'm2m') {
    const j = rel.junction;
    return {
      cardinality: 'many-to-many', embedding,
      relationship: `${j.table} using ${j.constraint1}${list(j.sourceColumns.map(([, c]) => c))} and ${j.constraint2}${list(j.targetColumns.map(([, c]) => c))}`,
    };
  }
  const cardinality = { m2o: 'many-to-one', o2m: 'one-to-many', o2o: 'one-to-one' }[rel.cardinality];
  return {
    cardinality, embedding,
    relationship: `${rel.constraint} using ${rel.table}${list(rel.columns.map(([c]) => c))} and ${rel.foreignTable}${list(rel.columns.map(([, f]) => f))}`,
  };
}

function hintFor(rel: Relationship): string {
  if (rel.kind === 'computed') return '';
  return `'${rel.foreignTable}!${rel.kind === 'm2m' ? rel.junction.table : rel.constraint}'`;
}
