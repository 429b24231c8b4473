// CLI: `tsx connector/main.ts` (npm start runs it). Configuration from the environment.
import { ConfigError, loadConfig, startConnector } from './index.ts';

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

const connector = await startConnector(config);
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`connector: ${signal} received, shutting down\n`);
  const force = setTimeout(() => process.exit(1), config.lifecycle.shutdownGraceMs + 15_000);
  force.unref();
  await connector.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
