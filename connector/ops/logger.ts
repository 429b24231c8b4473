import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, connectorId: string): Logger {
  return pino({
    level,
    base: { connector: connectorId },
    // Defence in depth: never print credentials even if an object carrying them is logged by mistake.
    redact: { paths: ['creds', '*.creds', 'keys', '*.keys', 'privKey', '*.privKey', 'authState', 'qr', '*.qr'], censor: '[redacted]' },
  });
}
