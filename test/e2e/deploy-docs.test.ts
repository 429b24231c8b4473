// README "What changed at Supabase in 2026": every test it names exists, and every quoted test name is the
// name of a test in one of the files the list points to, so the list cannot drift from the tests.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const folders = ['', 'test/e2e/', 'stack/', 'supabase/functions/whatsapp/', 'supabase/tests/database/'];

async function section(): Promise<string> {
  const readme = await readFile(`${root}README.md`, 'utf8');
  const start = readme.indexOf('### What changed at Supabase in 2026');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start);
  return readme.slice(start, end === -1 ? undefined : end);
}

function resolve(name: string): string | undefined {
  return folders.map((folder) => `${root}${folder}${name}`).find((path) => existsSync(path));
}

describe('README: the 2026 changes list', () => {
  it('names test files that exist and test names that are in them', async () => {
    const text = (await section()).replace(/\n\s*/g, ' ');
    const files = [...new Set([...text.matchAll(/`([\w./-]+(?:\.test\.ts|_test\.ts|\.test\.sql))`/g)].map((m) => m[1]!))];
    expect(files.length).toBeGreaterThan(8);
    const missing = files.filter((name) => !resolve(name));
    expect(missing).toEqual([]);
    const sources = (await Promise.all(files.map((name) => readFile(resolve(name)!, 'utf8'))))
      .join('\n').replace(/\\'/g, "'").replace(/''/g, "'").replace(/\s+/g, ' ');
    const names = [...text.matchAll(/"([^"]+)"/g)].map((m) => m[1]!.replace(/\s+/g, ' '));
    expect(names.length).toBeGreaterThan(15);
    expect(names.filter((name) => !sources.includes(name))).toEqual([]);
  });
});
