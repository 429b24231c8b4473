import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // .data/ holds Deno's npm cache (DENO_DIR of the function tests): zod's own *.test.ts files live there.
    exclude: ['**/node_modules/**', 'web/**', '.tmp/**', '.data/**'],
    globalSetup: ['test/support/postgres-global-setup.ts'],
    testTimeout: 60_000,
    // expect.poll waits for an event (a receipt, a frame, a row); its default bound of 1 s is too tight for a loaded
    // 2-core box. The bound only limits how long a broken test hangs; it asserts no speed.
    expect: { poll: { timeout: 30_000 } },
    hookTimeout: 120_000,
    // 2 cores: a few files at a time; Baileys-heavy files are CPU bound.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
