// CLI: `tsx connector/main.ts` (npm start runs it). Configuration from the environment.
// With CONNECTOR_PROCESSES=N it supervises N connector processes instead (one core each).
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, startConnector } from './index.ts';
import { superviseConnectorProcesses } from './ops/supervisor.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}

// tsx turns on source-mapped stack traces; Baileys formats `new Error().stack` for every query and delay
// (generics.js promiseTimeout/delayCancellable), which costs ~10% of a cold start's CPU with them on.
if (!config.sourceMaps) process.setSourceMapsEnabled(false);

if (config.processes > 1) {
  superviseConnectorProcesses(config, fileURLToPath(import.meta.url), process.env);
} else {
  const connector = await startConnector(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`connector ${config.connectorId}: ${signal} received, shutting down\n`);
    const force = setTimeout(() => process.exit(1), config.lifecycle.shutdownGraceMs + 15_000);
    force.unref();
    await connector.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A process the supervisor forked (CONNECTOR_PROCESSES > 1) has an IPC channel to it. The channel closes when
  // the supervisor dies, even by SIGKILL (nothing forwards a signal then): stop as on SIGTERM rather than run on
  // as an orphan that keeps renewing its leases while the supervisor's restart forks new processes beside it.
  if (process.channel) process.once('disconnect', () => void stop('supervisor gone'));
}
