// PostgREST's error body {code, message, details, hint} and its SQLSTATE → HTTP status table
// (PostgREST src/PostgREST/Error.hs). Custom SQLSTATEs (our WLxxx) fall through to 400.

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** A string, or JSON (PGRST201 lists its candidates as an array). */
    readonly details: unknown = null,
    readonly hint: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RestError';
  }

  toJSON() {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

interface PostgresLikeError {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
}

export function isPostgresError(error: unknown): error is PostgresLikeError & Error {
  return error instanceof Error && typeof (error as PostgresLikeError).code === 'string' && (error as { name?: string }).name === 'PostgresError';
}

/** Maps a Postgres error to PostgREST's status; `anonymous` decides 401 vs 403 for 42501. */
export function fromPostgresError(error: PostgresLikeError, anonymous: boolean): RestError {
  const code = error.code ?? 'XX000';
  return new RestError(statusForSqlState(code, anonymous), code, error.message ?? 'database error', error.detail ?? null, error.hint ?? null);
}

export function statusForSqlState(code: string, anonymous: boolean): number {
  if (code === '42501') return anonymous ? 401 : 403;
  if (code === '23503' || code === '23505') return 409;
  if (code === '25006') return 405;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42P17') return 500;
  if (code === 'P0001') return 400;
  if (/^PT[0-9]{3}$/.test(code)) return Number(code.slice(2));
  const klass = code.slice(0, 2);
  switch (klass) {
    case '08': return 503;
    case '09': return 500;
    case '0L': case '0P': case '28': return 403;
    case '25': case '2D': case '38': case '39': case '3B': case '40': case '55': case '57': case '58': case 'F0': case 'HV': case 'P0': case 'XX':
      return 500;
    case '53': return 503;
    case '54': return 413;
    default: return 400; // 22xxx, 23xxx, 42xxx and custom SQLSTATEs such as WL404
  }
}

export const restErrors = {
  parse: (what: string, details: string) => new RestError(400, 'PGRST100', `"failed to parse ${what}"`, details),
  invalidBody: (details: string) => new RestError(400, 'PGRST102', 'Empty or invalid json', details),
  unknownTable: (table: string) =>
    new RestError(404, 'PGRST205', `Could not find the table 'public.${table}' in the schema cache`),
  unknownColumn: (column: string, table: string) =>
    new RestError(400, 'PGRST204', `Could not find the '${column}' column of '${table}' in the schema cache`),
  undefinedColumn: (column: string, table: string) =>
    new RestError(400, '42703', `column ${table}.${column} does not exist`),
  unknownFunction: (name: string, args: string[]) =>
    new RestError(
      404,
      'PGRST202',
      `Could not find the function public.${name}${args.length ? `(${args.join(', ')})` : ' without parameters'} in the schema cache`,
      `Searched for the function public.${name}${args.length ? ` with parameters ${args.join(', ')}` : ' without parameters'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    ),
  ambiguousFunction: (candidates: { name: string; inputs: { name: string; type: string }[] }[]) =>
    new RestError(
      300,
      'PGRST203',
      `Could not choose the best candidate function between: ${candidates.map((fn) => `public.${fn.name}(${fn.inputs.map((a) => `${a.name} => ${a.type}`).join(', ')})`).join(', ')}`,
      null,
      'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    ),
  singular: (rows: number) =>
    new RestError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${rows} rows`),
  schema: (schema: string) =>
    new RestError(406, 'PGRST106', 'Invalid schema: ' + schema, null, 'Only the following schemas are exposed: public'),
  notAllowed: (method: string) => new RestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`),
  jwt: (message: string) =>
    new RestError(401, 'PGRST301', message, null, null, { 'www-authenticate': `Bearer error="invalid_token", error_description="${message}"` }),
  jwtExpired: () =>
    new RestError(401, 'PGRST303', 'JWT expired', null, null, { 'www-authenticate': 'Bearer error="invalid_token", error_description="JWT expired"' }),
  notAcceptable: (accept: string) => new RestError(406, 'PGRST107', `None of these media types are available: ${accept}`),
  /** What PostgREST serves but this stack does not: 501 rather than a 2xx with different data. */
  unsupported: (feature: string, hint?: string) =>
    new RestError(
      501,
      'local_stack_unsupported',
      `${feature} is not supported by the local development stack`,
      null,
      hint ?? 'Supabase (PostgREST) serves this; see stack/README.md for what the local stack implements.',
    ),
  mediaType: (type: string) => new RestError(415, 'PGRST107', `None of these media types are available: ${type}`),
};
