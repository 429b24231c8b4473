// Shared bench harness: percentiles, result rows with goals, the table, the JSON file.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Goal = { op: '<=' | '>='; value: number } | null;

/** One printed figure: value against its goal and against the floor measured in the same run. */
export interface ResultRow {
  figure: string;
  value: number | null;
  unit: string;
  goal: Goal;
  /** the floor (Baileys alone) for the same quantity, when there is one */
  floor?: number | null;
  /** extra context: what was measured, why a figure missed */
  note?: string;
}

export interface FigureContext {
  quick: boolean;
  /** floor numbers measured earlier in this run (by the floor figure) */
  floor: Record<string, number>;
  log(message: string): void;
}

export interface Figure {
  name: string;
  /** does this figure compare against the floor (so the floor must run first)? */
  needsFloor?: boolean;
  run(ctx: FigureContext): Promise<{ rows: ResultRow[]; details?: unknown }>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(values: number[]): { n: number; p50: number; p95: number; p99: number; min: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, mean };
}

/** Least-squares slope of y over x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

export const nsToMs = (ns: bigint) => Number(ns) / 1e6;
export const round = (v: number, digits = 2) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);

export function verdict(row: ResultRow): 'pass' | 'MISS' | '-' {
  if (!row.goal || row.value === null || !Number.isFinite(row.value)) return row.goal ? 'MISS' : '-';
  return (row.goal.op === '<=' ? row.value <= row.goal.value : row.value >= row.goal.value) ? 'pass' : 'MISS';
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : String(round(v, v >= 100 ? 0 : 2)));

export function formatTable(rows: ResultRow[]): string {
  const header = ['figure', 'value', 'goal', 'floor', 'ratio', 'pass/miss'];
  const lines = rows.map((r) => {
    const ratio = r.value !== null && r.floor ? r.value / r.floor : null;
    return [
      r.figure,
      `${fmt(r.value)} ${r.unit}`.trim(),
      r.goal ? `${r.goal.op} ${fmt(r.goal.value)}` : '-',
      fmt(r.floor),
      ratio === null ? '-' : `${round(ratio, 2)}x`,
      verdict(r),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const notes = rows.filter((r) => r.note).map((r) => `  - ${r.figure}: ${r.note}`);
  return [line(header), sep, ...lines.map(line), ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

export async function writeResults(dir: string, payload: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(path, JSON.stringify(payload, null, 2) + '\n');
  return path;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `everyMs` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitUntil<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `fn` over items with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
