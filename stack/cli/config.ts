// `npm start` configuration: flags and environment, parsed once.
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const envSchema = z.object({
  STACK_PORT: port(54321),
  STACK_DB_PORT: port(54322),
  WEB_PORT: port(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where the database, the Deno cache and stack.env live; default <repo>/.data (git-ignored). */
  STACK_DATA_DIR: z.string().min(1).optional(),
  /** Use this Postgres instead of the embedded one (it is prepared: bootstrap, migrations, seed). */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string').optional(),
});

export interface StartConfig {
  demo: boolean;
  fresh: boolean;
  connector: boolean;
  web: boolean;
  gatewayPort: number;
  dbPort: number;
  webPort: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  databaseUrl: string | undefined;
  dataDir: string | undefined;
}

export function parseStartConfig(argv: string[], env: Record<string, string | undefined>): Readonly<StartConfig> {
  const known = new Set(['--demo', '--fresh', '--no-connector', '--no-web', '--help']);
  const unknown = argv.filter((arg) => !known.has(arg));
  if (unknown.length) throw new Error(`unknown option(s): ${unknown.join(' ')} (known: ${[...known].join(' ')})`);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  }
  return Object.freeze({
    demo: argv.includes('--demo'),
    fresh: argv.includes('--fresh'),
    connector: !argv.includes('--no-connector'),
    web: !argv.includes('--no-web'),
    gatewayPort: parsed.data.STACK_PORT,
    dbPort: parsed.data.STACK_DB_PORT,
    webPort: parsed.data.WEB_PORT,
    logLevel: parsed.data.LOG_LEVEL,
    databaseUrl: parsed.data.DATABASE_URL,
    dataDir: parsed.data.STACK_DATA_DIR,
  });
}

export const USAGE = `npm start [-- options]      the local Supabase-compatible stack, the connector and the web app
  --demo          also start the offline WhatsApp simulator (npm run demo)
  --fresh         delete .data/postgres, .data/storage and .data/simulator first (a new database, new phones)
  --no-connector  do not start connector/main.ts
  --no-web        do not start the web app
Environment: STACK_PORT (54321), STACK_DB_PORT (54322), WEB_PORT (3000), LOG_LEVEL (info), DATABASE_URL (use that Postgres),
  STACK_DATA_DIR (.data)`;
