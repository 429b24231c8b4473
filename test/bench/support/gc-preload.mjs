// Bench-only preload for a measured child process (node --expose-gc --import this): on SIGUSR2 it runs a
// full GC four times and writes process.memoryUsage() as JSON to $BENCH_MEM_FILE.
import { writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
  const file = process.env.BENCH_MEM_FILE;
  if (file) writeFileSync(file, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
});
