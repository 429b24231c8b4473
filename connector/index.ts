// The connector's public API. Importing this module does NOT load Baileys: startConnector installs the
// console guard (libsignal prints private keys) and the Baileys runtime patch first, then loads the rest.
import type { Logger } from 'pino';
import { loadConfig, ConfigError, type ConnectorConfig } from './config.ts';
import { installConsoleGuard } from './ops/console-guard.ts';
import { createLogger } from './ops/logger.ts';
import type { RunningConnector } from './runtime.ts';

// Direct file import (not auth-state/index.ts): that index loads Baileys.
export { ensureLocalEncryptionKey } from './auth-state/local-key.ts';
export { loadConfig, ConfigError, type ConnectorConfig };
export type { RunningConnector };

export interface StartOptions {
  logger?: Logger;
}

export async function startConnector(config: ConnectorConfig, options: StartOptions = {}): Promise<RunningConnector> {
  const logger = options.logger ?? createLogger(config.logLevel, config.connectorId);
  installConsoleGuard((level, message) => logger[level]({ source: 'console' }, message));
  const { installBaileysPatches } = await import('./whatsapp/baileys-patches/install.ts');
  // Throws BaileysDriftError for any Baileys but the exact one the patches were written for.
  const state = installBaileysPatches({ sharedAls: config.whatsapp.sharedAsyncLocalStorage });
  if (state !== 'installed') throw new Error('the Baileys source patches could not be registered (module.register failed)');
  if (config.authState.encryption === 'disabled') {
    logger.warn('AUTH_STATE_ENCRYPTION=disabled: WhatsApp credentials are stored UNENCRYPTED in whatsapp_auth_state');
  }
  if (config.authState.acceptPlaintext) {
    logger.warn('AUTH_STATE_MIGRATE_PLAINTEXT=enabled: unencrypted credentials are still read; run npm run auth-state:rekey, then remove the switch');
  }
  const { runConnector } = await import('./runtime.ts');
  // Stock rc14 cannot link with WhatsApp as it is today (issue 12): refuse rather than run it unpatched.
  const { unappliedBaileysPatches } = await import('./whatsapp/baileys-patches/install.ts');
  const unapplied = unappliedBaileysPatches();
  if (unapplied.length > 0) {
    throw new Error(`Baileys was loaded before its patches were registered (not applied: ${unapplied.join(', ')}); `
      + 'import test/support/patched-baileys.ts (tests) or start through connector/main.ts');
  }
  return runConnector(config, logger);
}
