// Why an embed or a select item could not be resolved, when PostgREST would have resolved it: each such
// case is an explicit 501 naming the feature, so a request the local stack cannot answer exactly never
// comes back as a PGRST200 "no relationship" that Supabase would not send (or as different data).
import { restErrors } from './errors.ts';
import type { SchemaSnapshot } from './schema-cache.ts';

/** A function taking one row of `table` (PostgREST's computed fields and computed relationships). */
export function isRowFunction(schema: SchemaSnapshot, table: string, name: string): boolean {
  return (schema.functions.get(name) ?? []).some(
    (fn) => fn.inputs.length === 1 && (fn.inputs[0]!.type === table || fn.inputs[0]!.type === `public.${table}`),
  );
}

/** Throws the 501 for an embed `name` of `table` that PostgREST resolves some way this stack does not. */
export function rejectUnresolvableEmbed(schema: SchemaSnapshot, table: string, name: string): void {
  if (isRowFunction(schema, table, name)) throw restErrors.unsupported(`Computed relationships ("${name}" is a function of ${table})`);
  const parentKeys = schema.foreignKeys.filter((fk) => fk.table === table);
  if (parentKeys.some((fk) => fk.name === name) || schema.foreignKeys.some((fk) => fk.refTable === table && fk.name === name)) {
    throw restErrors.unsupported(`Embedding by foreign-key constraint name ("${name}")`, `Embed the table instead: '<table>!${name}(…)'.`);
  }
  if (parentKeys.some((fk) => fk.columns.length === 1 && fk.columns[0] === name)) {
    throw restErrors.unsupported(`Embedding by foreign-key column name ("${name}")`, `Embed the referenced table instead: '<table>!${name}(…)'.`);
  }
  const target = schema.tables.get(name);
  if (!target) return;
  const parent = schema.tables.get(table);
  if (parent?.kind === 'v' || target.kind === 'v' || parent?.kind === 'm' || target.kind === 'm') {
    throw restErrors.unsupported(`Embedding through views ("${table}" and "${name}")`);
  }
  const junction = schema.foreignKeys.some(
    (a) => a.refTable === table && schema.foreignKeys.some((b) => b.table === a.table && b !== a && b.refTable === name),
  );
  if (junction) throw restErrors.unsupported(`Many-to-many embedding through a join table ("${table}" and "${name}")`);
}
