// CONNECTOR_PROCESSES > 1: the CLI forks that many connector processes (one core each). They share
// nothing but the database: leases split the sessions between them, exactly as between connectors on
// different machines. A child that dies is restarted; SIGTERM/SIGINT are forwarded for a graceful stop.
import { fork, type ChildProcess } from 'node:child_process';
import type { ConnectorConfig } from '../config.ts';

export function superviseConnectorProcesses(config: ConnectorConfig, entry: string, env: Record<string, string | undefined>): void {
  const children = new Map<number, ChildProcess>();
  let stopping = false;
  const spawnChild = (index: number) => {
    const child = fork(entry, process.argv.slice(2), {
      execArgv: process.execArgv,
      env: {
        ...env,
        CONNECTOR_PROCESSES: '1',
        CONNECTOR_ID: `${config.connectorId}-${index}`,
        HEALTH_PORT: config.health.port === 0 ? '0' : String(config.health.port + index),
      },
      stdio: 'inherit',
    });
    children.set(index, child);
    child.on('exit', (code, signal) => {
      children.delete(index);
      if (stopping) {
        if (children.size === 0) process.exit(0);
        return;
      }
      process.stderr.write(`connector process ${index} exited (${signal ?? code}); restarting in 1 s\n`);
      setTimeout(() => spawnChild(index), 1000);
    });
  };
  for (let i = 0; i < config.processes; i++) spawnChild(i);
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const child of children.values()) child.kill(signal);
    setTimeout(() => process.exit(1), config.lifecycle.shutdownGraceMs + 20_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
