// The `[storage]` settings of supabase/config.toml the local stack applies: `file_size_limit`, the
// global upload limit `supabase start` hands to Storage ("100MiB" in this project).
import { readFile } from 'node:fs/promises';

const UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/** "50MiB", "5MB", "500KB", "1024" → bytes; undefined when the value is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = UNITS[(match[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.floor(Number(match[1]) * unit);
}

/** `[storage] file_size_limit` of `configPath` in bytes, or undefined when absent. Throws on a bad value. */
export async function readStorageFileSizeLimit(configPath: string): Promise<number | undefined> {
  const text = await readFile(configPath, 'utf8').catch(() => '');
  let inStorage = false;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      inStorage = section[1]!.trim() === 'storage';
      continue;
    }
    const pair = inStorage ? /^file_size_limit\s*=\s*"([^"]*)"$/.exec(line) : null;
    if (!pair) continue;
    const bytes = parseSize(pair[1]!);
    if (bytes === undefined) throw new Error(`${configPath}: [storage] file_size_limit "${pair[1]}" is not a size`);
    return bytes;
  }
  return undefined;
}
