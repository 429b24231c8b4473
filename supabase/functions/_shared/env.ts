// Parses environment variables once with a zod object schema into a frozen object. Errors name the
// variable. Callers pass the variables in (a function's config.ts reads them); nothing else reads the environment.
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseEnv<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>): Readonly<z.output<T>> {
  // Empty strings count as unset, so `FOO=` falls back to the default instead of failing oddly.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      return `${variable}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data);
}
