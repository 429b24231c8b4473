// The whatsapp Edge Function under real Deno: it type-checks (deno check) and its in-process tests pass
// (deno test). Deno caches npm packages in .data/deno (git-ignored) and may update the function's deno.lock.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const deno = `${root}node_modules/.bin/deno`;
const config = 'supabase/functions/whatsapp/deno.json';
const env = { ...process.env, DENO_DIR: `${root}.data/deno`, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };

async function denoRun(args: string[]) {
  try {
    const { stdout, stderr } = await run(deno, args, { cwd: root, env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('whatsapp Edge Function under Deno', () => {
  it('type-checks with deno check (the entrypoint, everything it imports, and the deno tests)', async () => {
    const result = await denoRun(['check', '--config', config, 'supabase/functions/whatsapp/index.ts', 'supabase/functions/whatsapp/tests/']);
    expect(result.output).not.toMatch(/error/i);
    expect(result.code).toBe(0);
  }, 180_000);

  it('passes its in-process deno tests (auth refusals, ES256 via JWKS, key rotation and revocation, limits, CORS, OpenAPI, docs, helpers)', async () => {
    // Type-checked by the test above: run without a second check (the machine has 2 shared cores).
    const result = await denoRun(['test', '--no-check', '--config', config, '--allow-env', '--allow-net=127.0.0.1', 'supabase/functions/whatsapp/tests/']);
    expect(result.output).toMatch(/ok \| \d+ passed \| 0 failed/);
    expect(result.code).toBe(0);
  }, 180_000);
});
