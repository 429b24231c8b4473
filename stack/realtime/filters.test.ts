import { describe, expect, it } from 'vitest';
import { FilterError, matchesFilters, parseFilters } from './filters.ts';
import { decodeScalar } from './decode.ts';

const types = new Map([
  ['id', 'uuid'], ['n', 'int4'], ['big', 'int8'], ['status', 'text'], ['done', 'bool'], ['at', 'timestamptz'], ['data', 'jsonb'],
]);
const record = {
  id: '8f7c4a52-9a8e-4a55-8d1c-1f1e5d9c0a11', n: 5, big: 9000000000, status: 'qr', done: false,
  at: '2026-11-28T01:52:00.123456+00:00', data: { a: 1 }, nothing: null,
};
const passes = (filter: string, row: Record<string, unknown> = record) => matchesFilters(parseFilters(filter), row, types);

describe('postgres_changes filters', () => {
  it('compares with eq, neq, lt, lte, gt, gte by the column type', () => {
    expect(passes('id=eq.8F7C4A52-9A8E-4A55-8D1C-1F1E5D9C0A11')).toBe(true);
    expect(passes('n=eq.5')).toBe(true);
    expect(passes('n=neq.5')).toBe(false);
    expect(passes('n=lt.10')).toBe(true); // numeric, not text, order
    expect(passes('n=lte.5')).toBe(true);
    expect(passes('n=gt.5')).toBe(false);
    expect(passes('big=gte.9000000000')).toBe(true);
    expect(passes('done=eq.false')).toBe(true);
    expect(passes('at=gt.2026-11-28T00:00:00Z')).toBe(true);
    expect(passes('data=eq.{"a":1}')).toBe(true);
  });

  it('matches in-lists, with quoted values', () => {
    expect(passes('status=in.(connected,qr)')).toBe(true);
    expect(passes('status=in.("a,b",connected)')).toBe(false);
    expect(passes('status=in.("q r",qr)')).toBe(true);
    expect(passes('n=in.(1,2,5)')).toBe(true);
  });

  it('never passes a NULL column through a comparison (three-valued logic), except is / isdistinct', () => {
    expect(passes('nothing=eq.x')).toBe(false);
    expect(passes('nothing=neq.x')).toBe(false);
    expect(passes('nothing=not.eq.x')).toBe(false);
    expect(passes('nothing=is.null')).toBe(true);
    expect(passes('nothing=isdistinct.x')).toBe(true);
  });

  it('ANDs comma-separated conditions and supports not., like, ilike, match', () => {
    expect(passes('n=gt.1,status=eq.qr')).toBe(true);
    expect(passes('n=gt.1,status=eq.connected')).toBe(false);
    expect(passes('status=not.eq.connected')).toBe(true);
    expect(passes('status=like.q%')).toBe(true);
    expect(passes('status=ilike.Q_')).toBe(true);
    expect(passes('status=match.^q')).toBe(true);
  });

  it('fails closed when the filtered column is absent (a DELETE carries only the key)', () => {
    expect(passes('status=eq.qr', { id: record.id })).toBe(false);
    expect(passes(`id=eq.${record.id}`, { id: record.id })).toBe(true);
  });

  it('rejects malformed filters', () => {
    for (const bad of ['status', 'status=eq', 'status=nope.1', 'status=in.a,b', 'done=is.maybe', 'status=eq."open']) {
      expect(() => parseFilters(bad), bad).toThrow(FilterError);
    }
  });
});

describe('decoding pgoutput text values like to_jsonb', () => {
  it('gives numbers, booleans, JSON and ISO timestamps', () => {
    expect(decodeScalar('42', 'int8')).toBe(42);
    expect(decodeScalar('1.5', 'numeric')).toBe(1.5);
    expect(decodeScalar('NaN', 'float8')).toBe('NaN');
    expect(decodeScalar('t', 'bool')).toBe(true);
    expect(decodeScalar('{"a": [1, 2]}', 'jsonb')).toEqual({ a: [1, 2] });
    expect(decodeScalar('2026-11-28 01:52:00.123456+00', 'timestamptz')).toBe('2026-11-28T01:52:00.123456+00:00');
    expect(decodeScalar('2026-11-28 01:52:00+05:30', 'timestamptz')).toBe('2026-11-28T01:52:00+05:30');
    expect(decodeScalar('2026-11-28 01:52:00', 'timestamp')).toBe('2026-11-28T01:52:00');
    expect(decodeScalar('infinity', 'timestamptz')).toBe('infinity');
    expect(decodeScalar('abc', 'text')).toBe('abc');
  });
});
