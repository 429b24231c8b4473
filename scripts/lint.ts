// Project rules that a linter config cannot express, checked on every `npm test`:
// - no file over MAX_LINES (no god files: a line limit holds only if a check enforces it);
// - Edge Functions import through `npm:` (or relative paths) only: jsr:, deno.land and esm.sh cannot
//   be fetched offline;
// - configuration is read in one place per part (process.env / Deno.env only in config modules);
// - no silent `?? ''` defaults for environment variables.
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

const MAX_LINES = 400;
const CODE = /\.(ts|tsx|js|mjs)$/;

// Modules allowed to read the environment: configuration parsers and process launchers/entry points.
const ENV_READERS = [
  /^connector\/config\.ts$/,
  /^connector\/main\.ts$/,
  /^supabase\/functions\/[^/]+\/config\.ts$/,
  /^supabase\/functions\/_shared\/config\.ts$/,
  /^stack\//,
  /^scripts\//,
  /^test\//,
  /\.test\.tsx?$/,
  /^web\/vite\.config\.ts$/,
];

interface Problem { file: string; line?: number; message: string }

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' });
  return out.split('\n').filter((file) => CODE.test(file) && !file.startsWith('node_modules/'));
}

async function lintFile(file: string): Promise<Problem[]> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return [];
  const problems: Problem[] = [];
  const lines = text.split('\n');
  const generated = file === 'supabase/functions/_shared/database.types.ts';
  if (!generated && lines.length > MAX_LINES) {
    problems.push({ file, message: `${lines.length} lines (max ${MAX_LINES}): split it by responsibility` });
  }
  lines.forEach((line, index) => {
    const at = { file, line: index + 1 };
    if (file.startsWith('supabase/functions/') && /from\s+['"](jsr:|https?:)/.test(line)) {
      problems.push({ ...at, message: 'Edge Functions must import through npm: specifiers (jsr:/URL imports cannot install offline)' });
    }
    if (/(process\.env|Deno\.env)/.test(line) && !ENV_READERS.some((rule) => rule.test(file))) {
      problems.push({ ...at, message: 'read the environment only in the config module' });
    }
    if (/(process\.env(\.\w+|\[[^\]]+\])|Deno\.env\.get\([^)]*\))\s*\?\?\s*''/.test(line)) {
      problems.push({ ...at, message: "no `?? ''` defaults for environment variables: validate and fail clearly" });
    }
  });
  return problems;
}

const problems = (await Promise.all(trackedFiles().map(lintFile))).flat();
for (const problem of problems) {
  console.error(`${problem.file}${problem.line ? `:${problem.line}` : ''}: ${problem.message}`);
}
if (problems.length > 0) {
  console.error(`lint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log('lint: no problems');
