// The parts of supabase/config.toml the local Auth honours, read once at start: [auth.rate_limit]
// (per-IP limits GoTrue applies) and [auth.email] double_confirm_changes. Missing keys take the
// values `supabase init` writes, so a project without a config.toml behaves like a fresh one.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export interface AuthConfig {
  rateLimit: {
    /** Sign-ups plus password sign-ins per 5 minutes per IP (`sign_in_sign_ups`). */
    signInSignUps: number;
    /** Refresh-token grants per 5 minutes per IP (`token_refresh`). */
    tokenRefresh: number;
  };
  /** `[auth.email] double_confirm_changes`: an e-mail change needs the old and the new address to confirm. */
  doubleConfirmEmailChanges: boolean;
}

export const DEFAULT_AUTH_CONFIG: AuthConfig = {
  rateLimit: { signInSignUps: 30, tokenRefresh: 150 },
  doubleConfirmEmailChanges: true,
};

const count = z.number().int().nonnegative();
const schema = z.object({
  'auth.rate_limit': z.object({ sign_in_sign_ups: count.optional(), token_refresh: count.optional() }).passthrough().optional(),
  'auth.email': z.object({ double_confirm_changes: z.boolean().optional() }).passthrough().optional(),
}).passthrough();

export async function readAuthConfig(configPath: string | undefined): Promise<AuthConfig> {
  const text = configPath ? await readFile(configPath, 'utf8').catch(() => '') : '';
  const parsed = schema.safeParse(readSections(text, ['auth.rate_limit', 'auth.email']));
  if (!parsed.success) throw new Error(`${configPath}: invalid [auth] settings: ${parsed.error.message}`);
  const limits = parsed.data['auth.rate_limit'] ?? {};
  return {
    rateLimit: {
      signInSignUps: limits.sign_in_sign_ups ?? DEFAULT_AUTH_CONFIG.rateLimit.signInSignUps,
      tokenRefresh: limits.token_refresh ?? DEFAULT_AUTH_CONFIG.rateLimit.tokenRefresh,
    },
    doubleConfirmEmailChanges: parsed.data['auth.email']?.double_confirm_changes ?? DEFAULT_AUTH_CONFIG.doubleConfirmEmailChanges,
  };
}

/** The flat `key = value` lines (numbers, booleans, strings) of the wanted TOML sections. */
function readSections(text: string, wanted: string[]): Record<string, Record<string, unknown>> {
  const sections: Record<string, Record<string, unknown>> = {};
  let current: Record<string, unknown> | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.trim();
      current = wanted.includes(name) ? (sections[name] ??= {}) : undefined;
      continue;
    }
    const pair = current && /^([A-Za-z_]+)\s*=\s*(.+)$/.exec(line);
    if (pair) current![pair[1]!] = tomlValue(pair[2]!.trim());
  }
  return sections;
}

function tomlValue(text: string): unknown {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^[+-]?[0-9][0-9_]*$/.test(text)) return Number(text.replaceAll('_', ''));
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(text) ?? /^'([^']*)'$/.exec(text);
  return quoted ? quoted[1] : text;
}
