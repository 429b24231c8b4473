// The parts of supabase/config.toml the local Auth honours, read once at start: [auth.rate_limit]
// (per-IP limits GoTrue applies) and [auth.email] double_confirm_changes / otp_expiry. Missing keys take the
// values `supabase init` writes, so a project without a config.toml behaves like a fresh one.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export interface AuthConfig {
  rateLimit: {
    /** Sign-ups plus password sign-ins per 5 minutes per IP (`sign_in_sign_ups`). */
    signInSignUps: number;
    /** Refresh-token grants per 5 minutes per IP (`token_refresh`). */
    tokenRefresh: number;
    /** POST /verify attempts per 5 minutes per IP (`token_verifications`). */
    tokenVerifications: number;
  };
  /** `[auth.email] double_confirm_changes`: an e-mail change mails a token to the current address too. */
  doubleConfirmEmailChanges: boolean;
  /** `[auth.email] otp_expiry`: seconds an e-mailed token stays valid. */
  otpExpirySeconds: number;
}

export const DEFAULT_AUTH_CONFIG: AuthConfig = {
  rateLimit: { signInSignUps: 30, tokenRefresh: 150, tokenVerifications: 30 },
  doubleConfirmEmailChanges: true,
  otpExpirySeconds: 3600,
};

const count = z.number().int().nonnegative();
const schema = z.object({
  'auth.rate_limit': z.object({ sign_in_sign_ups: count.optional(), token_refresh: count.optional(), token_verifications: count.optional() }).passthrough().optional(),
  'auth.email': z.object({ double_confirm_changes: z.boolean().optional(), otp_expiry: count.optional() }).passthrough().optional(),
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
      tokenVerifications: limits.token_verifications ?? DEFAULT_AUTH_CONFIG.rateLimit.tokenVerifications,
    },
    doubleConfirmEmailChanges: parsed.data['auth.email']?.double_confirm_changes ?? DEFAULT_AUTH_CONFIG.doubleConfirmEmailChanges,
    otpExpirySeconds: parsed.data['auth.email']?.otp_expiry ?? DEFAULT_AUTH_CONFIG.otpExpirySeconds,
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
