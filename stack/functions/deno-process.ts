// One long-lived `deno run` process per Edge Function, on a free port (PORT), in its own process
// group so stopping it also stops anything it spawned.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import type { Logger } from 'pino';
import { findFreePort } from '../db/free-port.ts';

export interface DenoFunctionOptions {
  name: string;
  denoPath: string;
  entrypoint: string;
  /** deno.json of the function (import map and compiler options). */
  configFile?: string;
  cwd: string;
  env: Record<string, string>;
  logger: Logger;
  /** How long the first start may take (npm downloads into the Deno cache on a fresh machine). */
  bootTimeoutMs: number;
}

export class DenoFunctionProcess {
  private child: ChildProcess | undefined;
  private starting: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly options: DenoFunctionOptions) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** The port the function listens on, starting it first when needed. */
  ensureRunning(): Promise<number> {
    if (this.stopped) return Promise.reject(new Error(`function ${this.options.name} is stopped`));
    this.starting ??= this.start().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async start(): Promise<number> {
    const { name, logger } = this.options;
    const port = await findFreePort();
    const args = ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', '--no-prompt'];
    if (this.options.configFile) args.push('--config', this.options.configFile);
    args.push(this.options.entrypoint);
    const startedAt = Date.now();
    logger.info({ function: name, port }, 'functions: starting Deno (the first run downloads npm packages into the Deno cache and can take a while)');
    const child = spawn(this.options.denoPath, args, {
      cwd: this.options.cwd,
      // Deno.serve binds 0.0.0.0 unless told otherwise; DENO_SERVE_ADDRESS overrides whatever hostname the
      // function passes, so every function is reachable only through the gateway (loopback).
      env: { ...this.options.env, PORT: String(port), DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}` },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const output: string[] = [];
    let announcedPort: number | undefined;

    return new Promise<number>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, value?: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poller);
        if (error) {
          this.kill('SIGKILL');
          reject(error);
        } else {
          logger.info({ function: name, port: value, ms: Date.now() - startedAt }, 'functions: ready');
          resolve(value!);
        }
      };
      const onLine = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          output.push(line);
          if (output.length > 40) output.shift();
          logger.info({ function: name, stream }, line);
          const listening = /Listening on https?:\/\/[^\s:]+:(\d+)/.exec(line);
          if (listening) {
            announcedPort = Number(listening[1]);
            finish(undefined, announcedPort);
          }
        }
      };
      child.stdout?.on('data', onLine('stdout'));
      child.stderr?.on('data', onLine('stderr'));
      child.once('error', (error) => finish(error));
      child.once('exit', (code, signal) => {
        this.child = undefined;
        this.starting = undefined;
        if (!settled) finish(new Error(`function ${name} exited before listening (code ${code}, signal ${signal}):\n${output.join('\n')}`));
        else if (!this.stopped) logger.warn({ function: name, code, signal }, 'functions: Deno process exited; it restarts on the next request');
      });
      // Functions that pass their own onListen print nothing: also accept a successful TCP connect.
      const poller = setInterval(() => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => { socket.destroy(); finish(undefined, port); });
        socket.once('error', () => socket.destroy());
      }, 250);
      const timer = setTimeout(
        () => finish(new Error(`function ${name} did not listen on PORT=${port} within ${this.options.bootTimeoutMs} ms:\n${output.join('\n')}`)),
        this.options.bootTimeoutMs,
      );
    });
  }

  private kill(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
