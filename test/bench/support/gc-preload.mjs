// Bench-only preload for a measured child process (node --expose-gc --import this): on SIGUSR2 it runs a
// full GC four times and writes process.memoryUsage() as JSON to $BENCH_MEM_FILE.
import { renameSync, writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
  const file = process.env.BENCH_MEM_FILE;
  if (!file) return;
  // written whole, then renamed: the bench polls for the file and must never read half of it
  writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
  renameSync(`${file}.tmp`, file);
});
