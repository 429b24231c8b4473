// What the client asks for beyond the query: the `Accept` media type and the `Prefer` options.
// PostgREST's own answers where this stack does the same; an explicit 501 (restErrors.unsupported)
// where PostgREST would produce something this stack does not (CSV, GeoJSON, plans, planned counts,
// tx=rollback), so nothing comes back as a 2xx with different data.
import { RestError, restErrors } from './errors.ts';

export interface Representation {
  /** `application/vnd.pgrst.object+json` (`.single()`): one object, 406 otherwise. */
  singular: boolean;
  /** `nulls=stripped` (`.stripNulls()`): json_strip_nulls on the body. */
  stripNulls: boolean;
}

const PRODUCED_ELSEWHERE: Record<string, string> = {
  'text/csv': 'CSV output (.csv())',
  'application/geo+json': 'GeoJSON output (.geojson())',
  'application/vnd.pgrst.plan': 'EXPLAIN output (.explain())',
  'application/vnd.pgrst.plan+json': 'EXPLAIN output (.explain())',
  'application/vnd.pgrst.plan+text': 'EXPLAIN output (.explain())',
  'application/octet-stream': 'Raw binary output',
  'text/plain': 'Raw text output',
  'text/xml': 'Raw XML output',
  'application/xml': 'Raw XML output',
};

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part, index) => {
      const [type = '', ...rawParams] = part.split(';').map((p) => p.trim());
      const params = new Map<string, string>();
      for (const raw of rawParams) {
        const eq = raw.indexOf('=');
        if (eq > 0) params.set(raw.slice(0, eq).trim().toLowerCase(), raw.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
      }
      const q = params.has('q') ? Number(params.get('q')) : 1;
      return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((range) => range.type !== '' && range.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
}

/** The representation for the first acceptable media range (by q, then order), as PostgREST picks it. */
export function negotiateAccept(header: string | undefined): Representation {
  if (!header || header.trim() === '') return { singular: false, stripNulls: false };
  for (const range of parseAccept(header)) {
    const nulls = range.params.get('nulls');
    if (nulls !== undefined && nulls !== 'stripped') continue;
    const stripNulls = nulls === 'stripped';
    switch (range.type) {
      case '*/*':
      case 'application/*':
      case 'application/json':
        if (stripNulls) continue; // PostgREST: nulls=stripped only on its vnd.pgrst types
        return { singular: false, stripNulls: false };
      case 'application/vnd.pgrst.array+json':
        return { singular: false, stripNulls };
      case 'application/vnd.pgrst.object+json':
        return { singular: true, stripNulls };
      default: {
        const feature = PRODUCED_ELSEWHERE[range.type];
        if (feature) throw restErrors.unsupported(`${feature} (Accept: ${range.type})`);
      }
    }
  }
  throw restErrors.notAcceptable(header);
}

export interface Preferences {
  return: 'minimal' | 'representation' | 'headers-only' | undefined;
  count: boolean;
  resolution: 'merge-duplicates' | 'ignore-duplicates' | undefined;
  missingDefault: boolean;
  /** `max-affected=N` with `handling=strict`: more affected rows is PGRST124 and nothing is written. */
  maxAffected: number | undefined;
  applied: string[];
}

/**
 * Prefer options as PostgREST 12+ reads them. Unknown or invalid ones are ignored, unless
 * `handling=strict` (then PGRST122); `max-affected` needs `handling=strict`, as in PostgREST.
 */
export function parsePrefer(header: string | string[] | undefined): Preferences {
  const text = Array.isArray(header) ? header.join(',') : header ?? '';
  const prefs: Preferences = { return: undefined, count: false, resolution: undefined, missingDefault: false, maxAffected: undefined, applied: [] };
  const invalid: string[] = [];
  let strict = false;
  let maxAffected: number | undefined;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name = '', value = ''] = part.split('=').map((s) => s.trim());
    if (name === 'return' && (value === 'minimal' || value === 'representation' || value === 'headers-only')) {
      prefs.return = value;
      prefs.applied.push(part);
    } else if (name === 'count' && value === 'exact') {
      prefs.count = true;
      prefs.applied.push(part);
    } else if (name === 'count' && (value === 'planned' || value === 'estimated')) {
      throw restErrors.unsupported(`Prefer: count=${value} (the planner's estimate)`, "Use count: 'exact' with the local development stack.");
    } else if (name === 'resolution' && (value === 'merge-duplicates' || value === 'ignore-duplicates')) {
      prefs.resolution = value;
      prefs.applied.push(part);
    } else if (name === 'missing' && value === 'default') {
      prefs.missingDefault = true;
      prefs.applied.push(part);
    } else if (name === 'handling' && (value === 'strict' || value === 'lenient')) {
      strict = value === 'strict';
      prefs.applied.push(part);
    } else if (name === 'max-affected' && /^[0-9]{1,15}$/.test(value)) {
      maxAffected = Number(value);
    } else if (name === 'tx' && value === 'commit') {
      // what every request does here
    } else if (name === 'tx' && value === 'rollback') {
      throw restErrors.unsupported('Prefer: tx=rollback');
    } else if (name === 'timezone') {
      throw restErrors.unsupported('Prefer: timezone');
    } else {
      invalid.push(part);
    }
  }
  if (strict && invalid.length > 0) {
    throw new RestError(400, 'PGRST122', 'Invalid preferences given with handling=strict', `Invalid preferences: ${invalid.join(', ')}`);
  }
  if (strict && maxAffected !== undefined) {
    prefs.maxAffected = maxAffected;
    prefs.applied.push(`max-affected=${maxAffected}`);
  }
  return prefs;
}
