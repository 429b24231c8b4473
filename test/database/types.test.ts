// The committed supabase/functions/_shared/database.types.ts matches what the migrations generate, so
// code typed against it (connector store, function store, web) never drifts from the real schema.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { generateTypes, TYPES_PATH } from '../../scripts/gen-types.ts';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

describe('generated database types', () => {
  it('supabase/functions/_shared/database.types.ts is up to date with the migrations', async () => {
    const [generated, committed] = await Promise.all([
      generateTypes(db.url),
      readFile(TYPES_PATH, 'utf8').catch(() => ''),
    ]);
    if (generated !== committed) {
      const at = firstDifferentLine(generated, committed);
      expect.fail(
        `supabase/functions/_shared/database.types.ts is stale: run npm run db:types and commit the result.\n` +
        `First difference at line ${at.line}:\n  committed: ${at.committed}\n  generated: ${at.generated}`);
    }
  });
});

function firstDifferentLine(generated: string, committed: string) {
  const [a, b] = [generated.split('\n'), committed.split('\n')];
  let i = 0;
  while (i < Math.max(a.length, b.length) && a[i] === b[i]) i++;
  return { line: i + 1, generated: a[i] ?? '(end of file)', committed: b[i] ?? '(end of file)' };
}
