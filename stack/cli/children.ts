// Child processes of `npm start` (connector, web dev server, simulator): each in its own process
// group so stopping it stops everything it spawned; output prefixed with the child's name.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
}

export interface RunningChild {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(graceMs: number): Promise<void>;
}

export function startChild(spec: ChildSpec, logger: Logger): RunningChild {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) stream.write(`[${spec.name}] ${line}\n`);
  };
  child.stdout?.on('data', prefix(process.stdout));
  child.stderr?.on('data', prefix(process.stderr));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      logger.info({ child: spec.name, code, signal }, 'child exited');
      resolve(code);
    });
    child.once('error', (error) => {
      logger.error({ child: spec.name, err: error }, 'child failed to start');
      resolve(null);
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (!child.pid) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  return {
    name: spec.name,
    child,
    exited,
    async stop(graceMs: number) {
      if (child.exitCode !== null || child.signalCode !== null) {
        signalGroup('SIGKILL'); // grandchildren left in the group
        return;
      }
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      signalGroup('SIGKILL');
    },
  };
}
