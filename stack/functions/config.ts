// The `[functions.<name>]` sections of supabase/config.toml (verify_jwt, entrypoint, import_map) and
// supabase/functions/.env. A small reader for the flat `key = value` lines these sections use.
import { readFile } from 'node:fs/promises';

export interface FunctionConfig {
  verifyJwt: boolean;
  entrypoint?: string;
  importMap?: string;
}

export async function readFunctionsConfig(configPath: string): Promise<Map<string, FunctionConfig>> {
  const text = await readFile(configPath, 'utf8').catch(() => '');
  const configs = new Map<string, FunctionConfig>();
  let current: FunctionConfig | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      const name = /^functions\.("?)([A-Za-z][A-Za-z0-9_-]*)\1$/.exec(section[1]!.trim())?.[2];
      current = name ? { verifyJwt: true } : undefined;
      if (name && current) configs.set(name, current);
      continue;
    }
    if (!current) continue;
    const pair = /^([A-Za-z_]+)\s*=\s*(.+)$/.exec(line);
    if (!pair) continue;
    const value = parseValue(pair[2]!);
    if (pair[1] === 'verify_jwt' && typeof value === 'boolean') current.verifyJwt = value;
    if (pair[1] === 'entrypoint' && typeof value === 'string') current.entrypoint = value;
    if (pair[1] === 'import_map' && typeof value === 'string') current.importMap = value;
  }
  return configs;
}

function parseValue(raw: string): string | boolean | undefined {
  const text = raw.trim();
  if (text === 'true') return true;
  if (text === 'false') return false;
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(text) ?? /^'([^']*)'$/.exec(text);
  return quoted ? quoted[1] : undefined;
}

/** KEY=value lines (the `supabase/functions/.env` the CLI loads); `SUPABASE_*` names are skipped as the CLI does. */
export async function readEnvFile(path: string): Promise<Record<string, string>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const env: Record<string, string> = {};
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match || match[1]!.startsWith('SUPABASE_')) continue;
    env[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return env;
}
