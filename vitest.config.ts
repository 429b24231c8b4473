import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'web/**', '.tmp/**'],
    globalSetup: ['test/support/postgres-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2 cores: a few files at a time; Baileys-heavy files are CPU bound.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
