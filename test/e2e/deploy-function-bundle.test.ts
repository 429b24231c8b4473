// The Edge Function step of deploying (README "Deploy"): `supabase functions deploy whatsapp --use-api` run
// with the pinned CLI (supabase@2.117.0), which walks the entrypoint's imports and uploads the files and
// the import map for Supabase to bundle. Supabase's Management API cannot exist here: a loopback server
// (reached through a CLI profile file) stands in for it and only records the upload. The test then proves
// that upload is complete and self-contained: every file lies under supabase/functions/, it is exactly the
// local import graph `deno info` sees, every other import is an `npm:` specifier pinned in the import map,
// and `deno check` / `deno info` on the uploaded files alone (a fresh folder: no package.json, node_modules
// or lockfile) resolve offline (--cached-only) from the npm packages already in the Deno cache.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = `${root}node_modules/supabase/dist/supabase.js`;
const deno = `${root}node_modules/.bin/deno`;
const run = promisify(execFile);
const PROJECT_REF = 'abcdefghijklmnopqrst';
const denoEnv = { ...process.env, DENO_DIR: `${root}.data/deno`, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };

interface Upload { metadata: Record<string, unknown>; files: Map<string, string> }

let api: Server;
let work: string;
const uploads: { path: string; body: Buffer; contentType: string }[] = [];
let upload: Upload;

async function denoRun(args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(deno, args, { cwd, env: { ...denoEnv, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'function-deploy-'));
  api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      uploads.push({ path: req.url ?? '/', body: Buffer.concat(chunks), contentType: req.headers['content-type'] ?? '' });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && path === `/v1/projects/${PROJECT_REF}/functions/deploy`) {
        res.statusCode = 201;
        res.end(JSON.stringify({ id: crypto.randomUUID(), slug: 'whatsapp', name: 'whatsapp', status: 'ACTIVE', version: 1, created_at: 0, updated_at: 0 }));
        return;
      }
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const profile = join(work, 'profile.yaml');
  await writeFile(profile, `name: offline\napi_url: ${apiUrl}\nproject_host: supabase.test\ndashboard_url: ${apiUrl}/dashboard\n`);
  await run(process.execPath, [cli, 'functions', 'deploy', 'whatsapp', '--use-api', '--project-ref', PROJECT_REF, '--profile', profile], {
    cwd: root,
    env: { ...process.env, SUPABASE_ACCESS_TOKEN: `sbp_${'0'.repeat(40)}`, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', SUPABASE_NO_KEYRING: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const deploy = uploads.find((u) => u.path.startsWith(`/v1/projects/${PROJECT_REF}/functions/deploy`));
  if (!deploy) throw new Error(`the CLI made no deploy request: ${uploads.map((u) => u.path).join(', ')}`);
  const form = await new Response(new Uint8Array(deploy.body), { headers: { 'content-type': deploy.contentType } }).formData();
  const files = new Map<string, string>();
  let metadata: Record<string, unknown> = {};
  for (const [name, value] of form) {
    if (name === 'metadata' && typeof value === 'string') metadata = JSON.parse(value) as Record<string, unknown>;
    else if (typeof value !== 'string') files.set(value.name, await value.text());
  }
  upload = { metadata, files };
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()));
  if (work) await rm(work, { recursive: true, force: true });
});

describe('supabase functions deploy whatsapp (pinned CLI, upload recorded)', () => {
  it('uploads the entrypoint and the import map with verify_jwt from config.toml', () => {
    expect(upload.metadata).toMatchObject({
      name: 'whatsapp',
      entrypoint_path: 'supabase/functions/whatsapp/index.ts',
      import_map_path: 'supabase/functions/whatsapp/deno.json',
      verify_jwt: false,
    });
    expect(upload.files.has('supabase/functions/whatsapp/index.ts')).toBe(true);
    expect(upload.files.has('supabase/functions/whatsapp/deno.json')).toBe(true);
  });

  it('uploads only files under supabase/functions/, exactly the local import graph, and imports nothing but npm: beyond it', async () => {
    for (const path of upload.files.keys()) {
      expect(path, path).toMatch(/^supabase\/functions\/(whatsapp|_shared)\//);
      expect(path, path).not.toContain('..');
    }
    const info = await denoRun(['info', '--json', '--config', 'supabase/functions/whatsapp/deno.json', 'supabase/functions/whatsapp/index.ts'], root);
    expect(info.code, info.output).toBe(0);
    const graph = JSON.parse(info.stdout) as { modules: { specifier: string; kind?: string }[] };
    const local = graph.modules.filter((m) => m.specifier.startsWith('file://')).map((m) => fileURLToPath(m.specifier).slice(root.length)).sort();
    const uploadedModules = [...upload.files.keys()].filter((path) => !path.endsWith('deno.json')).sort();
    expect(uploadedModules).toEqual(local);
    const remote = graph.modules.filter((m) => !m.specifier.startsWith('file://') && !m.specifier.startsWith('npm:') && !m.specifier.startsWith('node:'));
    expect(remote.map((m) => m.specifier)).toEqual([]);
    const importMap = JSON.parse(upload.files.get('supabase/functions/whatsapp/deno.json')!) as { imports: Record<string, string> };
    for (const [name, target] of Object.entries(importMap.imports)) expect(target, name).toMatch(/^npm:\/?(@[a-z0-9-]+\/)?[a-z0-9.-]+@\d+\.\d+\.\d+\/?$/);
  }, 120_000);

  it('the uploaded files alone type-check and resolve offline (deno check --cached-only / deno info, no lockfile, no network)', async () => {
    const layout = join(work, 'deployed');
    for (const [path, text] of upload.files) {
      await mkdir(dirname(join(layout, path)), { recursive: true });
      await writeFile(join(layout, path), text);
    }
    // What a machine that serves the function has cached: without a lockfile Deno resolves npm ranges from the
    // registry's package documents, which a run under the repository's deno.lock never fetched (a fresh clone's
    // cache lacked them, and which tests ran before this one decided the outcome). Fetched here, from the
    // repository, online; the uploaded layout below then gets nothing but that cache.
    const warmed = await denoRun(['cache', '--no-lock', '--config', 'supabase/functions/whatsapp/deno.json', 'supabase/functions/whatsapp/index.ts'], root);
    expect(warmed.code, warmed.output).toBe(0);
    // Offline twice over: --cached-only where Deno has it, and every download sent to a proxy nobody answers.
    const offline = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '', https_proxy: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', no_proxy: '' };
    const args = ['--no-lock', '--no-remote', '--config', 'supabase/functions/whatsapp/deno.json', 'supabase/functions/whatsapp/index.ts'];
    const checked = await denoRun(['check', '--cached-only', ...args], layout, offline);
    expect(checked.output).not.toMatch(/error/i);
    expect(checked.code).toBe(0);
    const info = await denoRun(['info', '--json', ...args], layout, offline);
    expect(info.code, info.output).toBe(0);
    const graph = JSON.parse(info.stdout) as { modules: { specifier: string; error?: string }[] };
    expect(graph.modules.filter((m) => m.error).map((m) => `${m.specifier}: ${m.error}`)).toEqual([]);
    // Every local module resolved inside the uploaded folder, nothing from the repository around it.
    for (const m of graph.modules.filter((x) => x.specifier.startsWith('file://'))) expect(fileURLToPath(m.specifier).startsWith(layout), m.specifier).toBe(true);
    expect(await readFile(join(layout, 'supabase/functions/whatsapp/index.ts'), 'utf8')).toBe(await readFile(join(root, 'supabase/functions/whatsapp/index.ts'), 'utf8'));
  }, 180_000);
});
