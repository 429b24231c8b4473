// `--hog N`: N busy processes beside the scenarios (issue 16.7: messages were lost only on a loaded box).
// Each hog spins and exits by itself once its parent is gone (the suite was SIGKILLed); the
// suite kills them by pid when it ends, on every exit path (normal, throw, and SIGINT/SIGTERM, which
// guardRun turns into an orderly exit).
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';

// The parent's pid is an argument (a hog that starts after its parent died would see pid 1 as its parent);
// signal 0 asks the kernel whether the parent still exists.
const SPIN = 'const p = Number(process.argv[1]); for (;;) { for (let i = 0; i < 5e7; i++); try { process.kill(p, 0); } catch { process.exit(0); } }';

export class CpuHog {
  private readonly children: ChildProcess[] = [];
  private readonly samples: number[] = [];
  private readonly sampler: NodeJS.Timeout;
  private readonly killAll = () => this.stop();

  constructor(readonly count: number) {
    for (let i = 0; i < count; i++) this.children.push(spawn(process.execPath, ['-e', SPIN, String(process.pid)], { stdio: 'ignore' }));
    process.on('exit', this.killAll);
    this.sampler = setInterval(() => this.samples.push(loadavg()[0]!), 5000).unref();
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!).filter(Boolean);
  }

  /** Starts a new window for load(). */
  restartSampling(): void {
    this.samples.length = 0;
  }

  /** 1-minute load average seen since restartSampling(): mean and max of the samples every 5 s. */
  load(): { mean: number; max: number } {
    const s = this.samples.length ? this.samples : [loadavg()[0]!];
    return { mean: Number((s.reduce((a, b) => a + b, 0) / s.length).toFixed(1)), max: Number(Math.max(...s).toFixed(1)) };
  }

  stop(): void {
    clearInterval(this.sampler);
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    process.off('exit', this.killAll);
  }
}
